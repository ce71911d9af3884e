"""The render engine: streaming Markdown drawn from cached lines, at a flat cost per frame.

The map, in the order text travels (each file once):

- `markdown_blocks.py`: `BlockSplitter` cuts the growing Markdown source into top-level blocks
  and *freezes* a block once the text after it has a complete line (a partial line such as
  `[r]:` can still change what came before). In a burst only the last `BURST_KEEP` characters
  are split at once: `safe_cut` (a cheap line scan) finds where the text before can be cut off
  without changing its blocks, and that part is frozen whole as one `DEFERRED` block. Pure
  logic, no Textual.
- `live_fence.py`: while a long code fence is still open, its complete lines are cut into
  chunks of 32 lines, each rendered once; a finished fence is rendered whole.
- `line_cache.py`: `LineCache` holds each block's rendered lines (`render_markdown`, one shared
  Markdown parser), indexed by line number; frozen blocks are rendered once per width, the live
  blocks at the end again each frame. Blocks not rendered yet count with an estimated height;
  a `DEFERRED` block is split into its blocks in place when someone asks for its lines (the
  reader scrolls to it, `render_pending` reaches it in idle time). `update` says from which line
  the lines changed (the old live lines are compared with the new), so a frame that adds a word
  repaints one line.
  `LineBudget` (shared by every answer, `KEPT_LINES`) drops the least recently shown blocks'
  lines beyond 20,000 (their heights stay exact; they are rendered again on demand).
- `tables.py`: Markdown tables wider than the view lose no text: cells wrap in fairly sized
  columns (words folded, never an ellipsis), or each row becomes `header  value` lines when a
  cell would get fewer than 6 columns; a table that fits is drawn as Rich draws it.
- `code_theme.py`: which Pygments style draws code (dark or light app theme, or the config's
  `code_theme`); a theme switch makes each view drop its lines (`LineCache.restyle`, heights
  kept) and draw them anew as they are shown.
- `packed_lines.py`: frozen lines are kept packed as plain tuples, which the garbage collector
  does not track, and unpacked into `Strip`s when drawn.
- `markdown_view.py`: `MarkdownView`, the Line API widget of one answer: `append(text)` feeds
  the splitter and the cache, repaints only the lines that changed, and renders what is on
  screen first (a burst or a width change renders the rest within `FRAME_RENDER_BUDGET`, 8 ms a
  frame, none while the `BACKLOG` is held). While its end is on screen (the log follows it),
  "on screen" means the last screen after growing: the next frame finds its lines drawn.
- `growing.py`: Textual forgets every line a widget drew when its size changes; a reply (its
  `MarkdownView` and `MessageView`) growing taller at the same width keeps them, and the chat
  log keeps its own lines when only its content grew (both hook `Widget._size_updated`).
- `shown_text.py`: what a mouse selection copies: the text shown, without padding, wrapped
  lines joined again (each block's lines matched against the block rendered too wide to wrap,
  only when copying). Pure logic, no Textual.
- `code_labels.py`: where each code block begins among an answer's lines, for the `[N lang]`
  labels drawn while its message is focused (numbered as `core.code_blocks` numbers them).
- `word_select.py`: a double click selects a word, a triple click the widget (the answer, and
  the message's other texts), not Textual's whole widget and whole chat log.
- `backlog.py`: `BACKLOG`, held by each reply whose reader is behind the network (a burst):
  meanwhile `MarkdownView` renders nothing off screen in idle time, so the end comes first.
- `heap.py`: the one owner of the garbage-collector policy (see below).

## One frame of a streaming reply
1. The reply's worker (`core.reply.ReplyBuilder` fed by `api.ChatClient.stream_chat`) updates
   the `Message` and buffers neutralised text; it touches no widget, and lets a due frame in
   every 64 events.
2. The frame timer (`ui.reply_stream.ReplyStream.flush`, `render_fps` a second) hands the text
   buffered since the last frame, at most `FRAME_BUDGET` characters, to the reply's
   `ui.message_view.MessageView`, which appends it to its `MarkdownView`. While the reader is
   behind the network (`ReplyBuilder.behind`: a burst waiting in the socket), a frame comes at
   most every `CATCH_UP_INTERVAL` (1 s), so reading catches up, and idle rendering waits
   (`backlog`); the end is drawn at once, whole, and so is a backlog once the reader stopped.
3. `MarkdownView.append` -> `BlockSplitter.append` -> `LineCache.update`: newly frozen blocks
   are packed, the live block is rendered, only the lines that differ from the last frame are
   repainted, the widget's height changes only if the line count did (and then Textual keeps
   the lines above, `growing`).
4. `ui.chat_log.ChatLog.content_grew` keeps the view on the bottom while it follows (or shows
   "New content below"); Textual then asks `render_line` for the visible lines only. A line
   costs the same with no selection and no labels: it gets its `offset` meta (which character
   is where) only when the screen asks what is under the pointer, never when painted.

## Memory rules
- Everything that survives a quiet moment (the app started, a reply finished, a conversation
  opened) is frozen out of the collector's full passes: call `heap.settle()` (after a refresh)
  at such moments, never while a reply streams.
- Whoever removes views (a cleared log, a retried reply, messages set aside) calls
  `heap.expect_garbage()`; the next settle looks at the frozen objects again and frees them
  (clearing the log settles at once, so Ctrl+N gives memory back). Every 20th settle looks
  again anyway. Nothing outside a view may keep it alive: such a settle also clears Textual's
  `StylesCache` lru cache (it held 1,024 removed widgets' drawn lines), the footer forgets
  the watchers of the keys it rebuilt (`ui.footer`), and a reply's checkpoint timer is
  cancelled when it ends. `benchmarks/soak.py` watches this over a long session.
- Whoever takes a whole conversation off the screen (`ChatLog.clear`: Ctrl+N, another one
  opened) calls `heap.let_go()`: its settle also empties the process-wide `lru_cache`s of Rich,
  Textual and parrotchat (they hold the old lines' text) and returns glibc's free pages.
  A finished reply's settle returns glibc's free pages too (`heap.settle(trim=True)`): each
  request carries the whole conversation, and its large strings leave free pages behind.
- Messages set aside above the screen (`ui.older_messages`) keep long texts packed
  (`core.conversation.Message.pack`, zlib'd UTF-8); reading `content` gives the exact text.
- While the view follows, `ChatLog` keeps about three screens of messages mounted; older ones are
  set aside (`ui.older_messages`) and mounted again when the reader scrolls up to them, so a
  frame's cost does not depend on the length of the conversation.
"""

from __future__ import annotations
