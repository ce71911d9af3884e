"""The scrolling chat log: follows the bottom while a reply streams, unless the user scrolls up.

Following is a state, not a guess from geometry: it ends when the user moves the view up and
comes back when they reach the bottom again or press the jump key. While it holds, Textual's
anchor keeps the view pinned to the bottom during layout, so the view never lags a frame behind
the content.

The log is also the message cursor: once a message has the focus (Alt+Up in the prompt, or a
click), Up/Down and k/j move between replies (with Shift, between all messages, prompts too),
`c` copies the focused message's Markdown source, `1`..`9` its code blocks, and Esc or a
printable key go back to the prompt (`BackToPrompt`). A message with the focus or a selection
is never set aside.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import NoScreen
from textual.errors import NoWidget
from textual.geometry import Size
from textual.layout import DockArrangeResult
from textual.message import Message as TextualMessage
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import Static

from parrotchat.core.code_blocks import code_blocks
from parrotchat.core.conversation import Message, Role
from parrotchat.ui.clipboard import copy_with_notice, counted
from parrotchat.ui.following import FollowingScroll
from parrotchat.ui.message_view import MessageView
from parrotchat.ui.older_messages import OlderMessages, estimated_lines, tail_start
from parrotchat.ui.render import heap
from parrotchat.ui.render.growing import scrolled_content_grew
from parrotchat.ui.render.markdown_view import MarkdownView

__all__ = ["ChatLog", "NewContentMarker"]

TAIL_SCREENS = 2
"""Screens of a reopened conversation's last messages mounted before its first frame."""
KEEP_SCREENS = 3
"""Screens of messages kept mounted above the bottom while following; older ones are set
aside (and come back as the reader scrolls up), so a frame's cost does not grow with the
length of the conversation. It happens once twice as many are mounted, not at every turn."""


_MOVE = Binding.Group("Move", compact=True)
_ALTERNATIVE = Binding.Group("Alternative", compact=True)


class ChatLog(FollowingScroll, can_focus=False):
    """The conversation's messages, newest at the bottom."""

    DEFAULT_CSS = """
    ChatLog {
        height: 1fr;
        padding: 1 1 0 1;
        scrollbar-gutter: stable;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Active only while a message has the focus (the log itself never takes it).
        Binding(
            "c", "copy_message", "Copy", id="copy_message", tooltip="Copy the message's Markdown"
        ),
        Binding(
            "1",
            "copy_code(1)",
            "Copy code",
            key_display="1-9",
            id="copy_code_1",
            tooltip="Copy the message's code block 1 (2 to 9: the next ones)",
        ),
        *(
            Binding(
                str(n), f"copy_code({n})", f"Copy code block {n}", show=False, id=f"copy_code_{n}"
            )
            for n in range(2, 10)
        ),
        # Grouped in the footer (`↑↓ Move`, `←→ Alternative`): at 80 columns every key of a
        # focused message fits, whatever keys the keymap gives them.
        Binding(
            "up,k",
            "move_cursor(-1)",
            "Previous",
            id="previous_reply",
            tooltip="The reply above",
            group=_MOVE,
        ),
        Binding(
            "down,j",
            "move_cursor(1)",
            "Next",
            id="next_reply",
            tooltip="The reply below (past the newest: back to the prompt)",
            group=_MOVE,
        ),
        Binding(
            "shift+up,K",
            "move_cursor(-1, False)",
            "Previous message",
            show=False,
            id="previous_message",
            tooltip="The message above, your prompts too",
        ),
        Binding(
            "shift+down,J",
            "move_cursor(1, False)",
            "Next message",
            show=False,
            id="next_message",
            tooltip="The message below, your prompts too",
        ),
        Binding(
            "e", "edit", "Edit", id="edit_message", tooltip="Edit this prompt and send it anew"
        ),
        Binding(
            "r,ctrl+r",  # Ctrl+R (or wherever `[keys]` moves Ask again) too: see `keymap_for`
            "regenerate",
            "Ask again",
            id="regenerate",
            tooltip="Ask again for this reply",
        ),
        Binding(
            "left",
            "switch(-1)",
            "‹ Alternative",
            id="previous_alternative",
            tooltip="Show the message's previous alternative and the branch below it",
            group=_ALTERNATIVE,
        ),
        Binding(
            "right",
            "switch(1)",
            "Alternative ›",
            id="next_alternative",
            group=_ALTERNATIVE,
            tooltip="Show the message's next alternative and the branch below it",
        ),
        Binding("escape", "leave", "Prompt", id="leave_messages", tooltip="Back to the prompt"),
    ]

    new_below: var[bool] = var(False)
    """True when content arrived below the view while not following."""

    @dataclass
    class NewContentBelow(TextualMessage):
        """Content arrived out of view (`below` True), or the user caught up (`below` False)."""

        chat_log: ChatLog
        below: bool

        @property
        def control(self) -> ChatLog:
            return self.chat_log

    @dataclass
    class BackToPrompt(TextualMessage):
        """The reader leaves the messages; `text` is the key they typed to do so, if any."""

        chat_log: ChatLog
        text: str = ""

        @property
        def control(self) -> ChatLog:
            return self.chat_log

    @dataclass
    class BranchWanted(TextualMessage):
        """The reader asked to branch at a message: `edit` it, `regenerate` it, or `switch` to
        its alternative `step` places away."""

        chat_log: ChatLog
        message: Message
        action: str
        step: int = 0

        @property
        def control(self) -> ChatLog:
            return self.chat_log

    def __init__(self, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        self._older: OlderMessages | None = None
        """Older messages not mounted: of a reopened conversation, or set aside."""
        self._loading_older = False
        self._cleared: OlderMessages | None = None
        """The older-messages line of the log before the last `clear`: its batches are void."""
        self._arranged: DockArrangeResult | None = None
        """The last layout of the messages: where each was before the next one."""
        self._refill_after_add = False
        """The end of the path went and a reply is about to start: refill once it is in."""
        self.alternatives_of: Callable[[Message], tuple[int, int]] | None = None
        """Which of its alternatives a message is and how many there are (`(2, 3)`: `‹ 2/3 ›`);
        every view gets it before it is mounted. None: no message has alternatives."""

    def on_mount(self) -> None:
        self._pin()

    def on_resize(self) -> None:
        self._pin()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # Only the messages grew: the log's own lines (padding, background) stay drawn.
        if scrolled_content_grew(self, size, virtual_size, container_size):
            self.watch_virtual_size()
            return True
        return super()._size_updated(size, virtual_size, container_size, layout)

    def watch_virtual_size(self) -> None:
        # Content can grow without a flush calling `content_grew` (a reply's last lines, blocks
        # rendered later within the frame budget): the first overflow must still anchor.
        if self.following and not self.is_anchored:
            self.call_after_refresh(self._pin)
        self._want_older()

    def _view(self, message: Message) -> MessageView:
        """A view of `message`, marked with its alternatives before it is mounted (no restyle
        after)."""
        view = MessageView(message)
        if self.alternatives_of is not None:
            view.show_alternatives(*self.alternatives_of(message))
        return view

    async def add_message(self, message: Message) -> MessageView:
        """Append a view of `message` at the bottom and return it."""
        view = self._view(message)
        await self.mount(view)
        self.content_grew()
        if self._refill_after_add:
            self._refill_after_add = False
            self.call_after_refresh(self._refill)
        if self.following:
            self.call_after_refresh(self._set_aside)
        return view

    async def _set_aside(self) -> None:
        """Unmount the messages more than `KEEP_SCREENS` screens above the bottom.

        Only while following: nothing moves under a reader who scrolled up. The anchor keeps
        the bottom in view while the top goes, and the messages wait in the `OlderMessages`
        line, to be mounted again if the reader scrolls up to them.
        """
        arranged = self._arranged
        if not self.following or arranged is None or self._loading_older:
            return
        if self.virtual_size.height <= self.size.height * KEEP_SCREENS * 2:
            return
        keep_from = self.virtual_size.height - self.size.height * KEEP_SCREENS
        gone = [
            placement.widget
            for placement in arranged.placements
            if placement.region.bottom < keep_from and placement.widget is not self._older
        ]
        pinned = self._pinned_views()
        for index, widget in enumerate(gone):
            if widget in pinned:
                # The reader holds this message (the focus, a selection): it and all below stay.
                gone = gone[:index]
                break
        views = [widget for widget in gone if isinstance(widget, MessageView)]
        if not views or not all(widget.is_attached for widget in gone):
            return
        older = self._older
        if older is None:
            older = self._older = OlderMessages([])
            await self.mount(older, before=0)
        older.set_aside([view.message for view in views])
        await self.remove_children(gone)
        # Textual keeps the list of displayed children it made last until a layout asks again,
        # which a burst puts off: ask now, or the views set aside (and their text) stay alive.
        self.displayed_children  # noqa: B018
        heap.expect_garbage()

    async def show_messages(self, messages: list[Message]) -> None:
        """Replace the log's content with `messages` (a reopened conversation) and follow.

        Only the messages filling the last screens are mounted now; older ones go in above,
        a batch at a time, as the reader scrolls up to them.
        """
        # One settle, once the new messages are painted, frees the old ones too: a full
        # collection between the two would hold up the first frame.
        await self.clear(settle=False)
        start = tail_start(
            messages, len(messages), self._text_width(), self.size.height * TAIL_SCREENS or 100
        )
        widgets: list[Widget] = [self._view(message) for message in messages[start:]]
        if start:
            self._older = OlderMessages(list(messages[:start]))
            widgets.insert(0, self._older)
            # The last screens overflow the view: anchored now, the first frame shows the
            # bottom (not the top of the tail, a frame early, with a batch of older messages
            # mounted for nothing because the view was near the top).
            self.anchor()
        await self.mount_all(widgets)
        self.follow()
        self.call_after_refresh(heap.settle)

    async def change_path(
        self, removed: list[Message], shown: list[Message], path: list[Message]
    ) -> None:
        """The end of the path changed (an edit, a regeneration, a switch to an alternative):
        the views of `removed` go and those of `shown` come below what stays.

        Only what changed is unmounted and mounted, so a switch near the end of a long
        conversation costs what it costs in a short one. When the change reaches above the
        mounted messages (into those set aside), or `shown` is longer than the screens a
        reopened conversation mounts first, the log shows `path` anew as it opens one: its
        last screens first.
        """
        gone = {id(message) for message in removed}
        views = [view for view in self.message_views() if id(view.message) in gone]
        lines = self.size.height * TAIL_SCREENS or 100
        short = tail_start(shown, len(shown), self._text_width(), lines) == 0
        if len(views) < len(removed) or not short:
            await self.show_messages(path)
            return
        # No batch of older messages while the end is swapped (the log is short for a moment):
        # once the change is painted, `_refill` brings back what the last screens lack. (A
        # batch already going in, as the reader scrolled up, is left to finish.)
        refill = not self._loading_older
        self._loading_older = True
        await self.remove_children(views)
        heap.expect_garbage()
        self.follow()
        if shown:
            await self.mount_all([self._view(message) for message in shown])
            self.content_grew()
        if refill and shown:
            self.call_after_refresh(self._refill)
        elif refill:
            # A reply is about to start (a retry): its view goes in first, then the refill.
            self._refill_after_add = True

    async def _refill(self) -> None:
        """Bring back from the older messages what the last screens lack once the end of the
        path went (a retry of a reply that filled them): the prompt asked again and the rest
        of those screens, as a reopened conversation would show them, rather than a batch of
        older messages mounted because the view came near the top.
        """
        try:
            older = self._older
            if older is None or not older.waiting or not older.is_attached:
                return
            width = self._text_width()
            views = self.message_views()
            kept = sum(estimated_lines(view.message, width) for view in views)
            # A screen more than a reopened conversation mounts: heights are estimates, and
            # fewer than a screen of lines above the view would ask for a batch after all.
            missing = (self.size.height * (TAIL_SCREENS + 1) or 150) - kept
            if missing <= 0:
                return
            batch = [self._view(message) for message in older.take_batch(width, missing)]
            if not older.waiting:
                self._older = None
                await older.remove()
            await self.mount_all(batch, before=views[0] if views else None)
        finally:
            self._loading_older = False
        self.call_after_refresh(self._want_older)

    @property
    def waiting_messages(self) -> int:
        """Older messages not mounted (yet, or any more)."""
        return len(self._older.waiting) if self._older is not None else 0

    def _text_width(self) -> int:
        return self.scrollable_content_region.width or self.app.size.width

    def _want_older(self) -> None:
        """Mount older messages once fewer than a screen of lines is left above the view."""
        if self._older is not None and not self._loading_older and self._near_top:
            self._loading_older = True
            self.call_after_refresh(self._mount_older_if_near_top)

    @property
    def _near_top(self) -> bool:
        return self.scroll_y < self.size.height

    async def _mount_older_if_near_top(self) -> None:
        # Asked for during a layout that had not placed the view yet (an anchored log opens at
        # the top, then goes to the bottom): only if the view is still near the top.
        if self._near_top:
            await self._mount_older()
        else:
            self._loading_older = False

    async def _mount_older(self) -> None:
        older = self._older
        try:
            if older is None or not older.is_attached:
                return
            views = [self._view(message) for message in older.take_batch(self._text_width())]
            if not older.waiting:
                self._older = None
                await older.remove()
            if self._cleared is not older:
                # Still the same log (not cleared while the line went): the views go on top.
                first = next(iter(self.query_children(MessageView)), None)
                await self.mount_all(views, before=first)
        finally:
            self._loading_older = False
        self.call_after_refresh(self._want_older)

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        """Lay out the messages, keeping what a reader who scrolled up sees where it is.

        Content can change height above the view: older messages go in, a block estimated until
        now gets its true height. As browsers do (CSS scroll anchoring), the message at the top
        of the view keeps its place on screen; the scroll moves within this layout pass, as
        Textual's own anchor does, so no frame shows the content jump.
        """
        arrangement = super().arrange(size, optimal)
        before = self._arranged
        if before is not None and arrangement is not before and not self.following:
            self._keep_in_place(before, arrangement)
        self._arranged = arrangement
        return arrangement

    def _keep_in_place(self, before: DockArrangeResult, after: DockArrangeResult) -> None:
        scroll_y = round(self.scroll_y)
        # The guide is the first message that starts in view (the one cut at the top may still
        # change height: blocks rendered late). The older-messages line is never a guide: it
        # stays at the top while messages go in below it.
        placements = [p for p in before.placements if not isinstance(p.widget, OlderMessages)]
        top = next((p for p in placements if p.region.y >= scroll_y), None)
        if top is None:
            top = next((p for p in placements if p.region.bottom > scroll_y), None)
        if top is None:
            return
        moved = next((p.region.y for p in after.placements if p.widget is top.widget), None)
        if moved is None or moved == top.region.y:
            return
        scroll_y += moved - top.region.y
        self.set_reactive(VerticalScroll.scroll_y, scroll_y)
        self.set_reactive(VerticalScroll.scroll_target_y, scroll_y)
        self.vertical_scrollbar._reactive_position = scroll_y

    async def add_widget(self, widget: Widget) -> None:
        """Append any widget (the welcome text) at the bottom."""
        await self.mount(widget)

    async def clear(self, *, settle: bool = True) -> None:
        """Remove every message and follow the bottom again.

        Args:
            settle: Free them after the next frame (Ctrl+N gives the memory back); False when
                the caller settles once it has shown what comes next.
        """
        self.anchor(False)
        if self._refill_after_add:
            self._refill_after_add = False
            self._loading_older = False
        self._cleared, self._older = self._older, None
        if self._cleared is not None:
            self._cleared.waiting = []  # kept to void its batches: not its old messages
        self._arranged = None
        await self.remove_children()
        heap.let_go()  # a whole conversation goes: the shared caches of its lines go too
        if settle:
            self.call_after_refresh(heap.settle)  # frees them (Ctrl+N gives the memory back)
        self.following = True

    def message_views(self) -> list[MessageView]:
        """The views of the messages, oldest first."""
        return list(self.query_children(MessageView))

    def _pinned_views(self) -> set[Widget]:
        """The messages holding the focus or a selection."""
        held = [*self.screen.selections, self.screen.focused]
        return {
            view
            for widget in held
            if widget is not None
            for view in widget.ancestors_with_self
            if isinstance(view, MessageView)
        }

    # --- the message cursor -----------------------------------------------------------------

    @property
    def focused_view(self) -> MessageView | None:
        """The message that has the focus (or holds the widget that has it), if any."""
        focused = self.screen.focused
        if focused is None:
            return None
        return next(
            (node for node in focused.ancestors_with_self if isinstance(node, MessageView)), None
        )

    def message_number(self, view: MessageView) -> int:
        """`view`'s place in the conversation, from 1 (messages not mounted count too)."""
        return self.waiting_messages + self.message_views().index(view) + 1

    def focus_newest(self) -> bool:
        """Give the newest message the focus; False if there is none."""
        views = self.message_views()
        if not views:
            return False
        self.focus_message(views[-1], top=False)
        return True

    def focus_message(self, view: MessageView, *, top: bool = True) -> None:
        """Give `view` the focus and bring it into view.

        Args:
            top: Scroll a message taller than the view to its top, even if part of it shows.
        """
        view.focus(scroll_visible=False)
        self.call_after_refresh(self._reveal, view, top)

    def _reveal(self, view: MessageView, top: bool) -> None:
        if not view.is_attached:
            return
        try:
            region = self.screen.find_widget(view).region
        except (NoScreen, NoWidget):
            return
        viewport = self.scrollable_content_region
        if viewport.contains_region(region):
            return
        fits = region.height <= viewport.height
        if not fits and not top and region.overlaps(viewport):
            return
        # The message's top where it fits, else at the top of the view.
        delta = (
            region.y - viewport.y
            if not fits or region.y < viewport.y
            else region.bottom - viewport.bottom
        )
        if delta < 0:
            self.stop_following()
        self.scroll_to(y=self.scroll_y + delta, animate=False)

    async def action_move_cursor(self, step: int, replies: bool = True) -> None:
        """Move the focus to the reply `step` places away (any message if not `replies`).

        Past the newest: back to the prompt. Older messages set aside come back on the way up.
        """
        view = self.focused_view
        if view is None or not view.is_attached:
            return
        for _batch in range(10_000):
            views = self.message_views()
            index = views.index(view) + step
            while (
                0 <= index < len(views)
                and replies
                and views[index].message.role is not Role.ASSISTANT
            ):
                index += step
            if index >= 0 or self._older is None or self._loading_older:
                break
            self._loading_older = True
            await self._mount_older()
        if index < 0:
            self.app.bell()
        elif index >= len(views):
            self.post_message(self.BackToPrompt(self))
        else:
            self.focus_message(views[index])

    def action_leave(self) -> None:
        """Back to the prompt."""
        self.post_message(self.BackToPrompt(self))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Edit offers itself on prompts, Ask again on replies, the arrows where there are
        alternatives (hidden otherwise: the footer has no room to spare at 80 columns)."""
        view = self.focused_view
        if view is None:
            return True
        if action == "edit":
            return view.message.role is Role.USER
        if action == "regenerate":
            return view.message.role is Role.ASSISTANT
        if action == "switch":
            return view.alternatives[1] >= 2
        return True

    def action_edit(self) -> None:
        """Put the focused prompt in the prompt box, to send it anew as a new branch."""
        self._branch("edit")

    def action_regenerate(self) -> None:
        """Ask again for the focused reply; the earlier answer stays as an alternative."""
        self._branch("regenerate")

    def action_switch(self, step: int) -> None:
        """Show the focused message's alternative `step` places away."""
        self._branch("switch", step)

    def _branch(self, action: str, step: int = 0) -> None:
        view = self.focused_view
        if view is not None:
            self.post_message(self.BranchWanted(self, view.message, action, step))

    @on(MessageView.AlternativeClicked)
    def _alternative_clicked(self, event: MessageView.AlternativeClicked) -> None:
        event.stop()
        self.post_message(self.BranchWanted(self, event.view.message, "switch", event.step))

    def on_key(self, event: events.Key) -> None:
        # A printable key that is not one of the cursor's goes to the prompt, and the reader
        # with it: typing just carries on.
        if not event.is_printable or event.character is None or self.focused_view is None:
            return
        if event.key in self.app.active_bindings:
            return
        event.stop()
        event.prevent_default()
        self.post_message(self.BackToPrompt(self, event.character))

    def on_paste(self, event: events.Paste) -> None:
        # Pasting is typing too: into the prompt.
        if self.focused_view is not None and event.text:
            event.stop()
            self.post_message(self.BackToPrompt(self, event.text))

    def action_copy_message(self) -> None:
        """Copy the focused message's Markdown source, exactly as the model sent it."""
        view = self.focused_view
        if view is None:
            return
        number = self.message_number(view)
        text = view.message.content
        if not text:
            self.app.notify(f"Message {number} has no text to copy.", markup=False)
            return
        copy_with_notice(
            self.app, text, f"Copied message {number} · {counted(len(text), 'character')}"
        )

    def action_copy_code(self, number: int) -> None:
        """Copy code block `number` of the focused message."""
        view = self.focused_view
        if view is not None:
            self.copy_code(view, number)

    def copy_code(self, view: MessageView, number: int) -> None:
        """Copy code block `number` (from 1) of `view`'s message: the fence's content only."""
        blocks = code_blocks(view.message.content)
        if not 1 <= number <= len(blocks):
            message = self.message_number(view)
            have = f"has {counted(len(blocks), 'code block')}" if blocks else "has no code block"
            self.app.notify(f"Message {message} {have}.", markup=False)
            return
        block = blocks[number - 1]
        notice = f"Copied code block {number} · {counted(block.line_count, 'line')}"
        copy_with_notice(self.app, block.text, notice)

    @on(MarkdownView.CodeLabelClicked)
    def _code_label_clicked(self, event: MarkdownView.CodeLabelClicked) -> None:
        event.stop()
        for node in event.markdown_view.ancestors:
            if isinstance(node, MessageView):
                self.copy_code(node, event.number)
                return

    def content_grew(self) -> None:
        """Called after content was added: mark it if the user is reading further up."""
        if not self.following:
            self.new_below = True
        elif not self.is_anchored:
            # The content may overflow the view once laid out: anchor from then on.
            self.call_after_refresh(self._pin)

    def watch_following(self, following: bool) -> None:
        super().watch_following(following)
        if following:
            self.new_below = False

    def watch_new_below(self, below: bool) -> None:
        self.post_message(self.NewContentBelow(self, below))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._want_older()


class NewContentMarker(Static):
    """The "new content below" line shown while the user reads further up; click to jump."""

    DEFAULT_CSS = """
    NewContentMarker {
        width: 100%;
        height: 1;
        content-align: center middle;
        background: $accent 30%;
        color: $text;
        display: none;
    }
    """

    @dataclass
    class Clicked(TextualMessage):
        """The user clicked the marker."""

    def __init__(self, key_hint: str = "Ctrl+End", *, id: str | None = None) -> None:
        super().__init__(
            Content.assemble("↓ New content below · ", (key_hint, "bold"), " to follow"),
            id=id,
        )

    def on_click(self) -> None:
        self.post_message(self.Clicked())
