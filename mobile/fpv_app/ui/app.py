"""The app's screens (Flet), thin over `fpv_app.state`: schedule with filters, venue map, a
training with its channel board and sign-up, sign-in through the bot, my trainings, notifications
and the profile. Russian first, English; dark mode; laid out for a 390 px phone first.

Handlers are plain functions (Flet runs them in its thread pool): they call the state layer,
then rebuild the current screen. Errors are shown in words (`texts.error_text`)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import flet as ft

from fpv_app.client import ApiError, MyTraining, Training, TrainingCard
from fpv_app.config import AppConfig
from fpv_app.reminders import ReminderScheduler
from fpv_app.state import AppState, Filters, local_start, reminder_plan
from fpv_app.texts import age_text, error_text, money
from fpv_app.texts import t as tr

TOKEN_KEY = "fpv_app.token"  # noqa: S105 - a storage key, not a secret
THEME_KEY = "fpv_app.theme"
NOTIFY_ASKED_KEY = "fpv_app.notify_asked"
PHONES = (ft.PagePlatform.ANDROID, ft.PagePlatform.IOS)
PULL_TO_REFRESH = 80.0  # logical pixels dragged past the top
TABS = ("schedule", "map", "mine", "alerts", "profile")
ICONS = (
    ft.Icons.CALENDAR_MONTH,
    ft.Icons.MAP,
    ft.Icons.FLIGHT_TAKEOFF,
    ft.Icons.NOTIFICATIONS,
    ft.Icons.PERSON,
)


def yandex_maps_url(lat: float, lon: float) -> str:
    return f"https://yandex.ru/maps/?pt={lon:.6f},{lat:.6f}&z=16&l=map"


class TokenStore:
    """The device token in the client's secure storage where the platform has one (Flet's
    SecureStorage: Keychain, Android Keystore, WebCrypto in a browser), else its shared
    preferences."""

    def __init__(self) -> None:
        self._secure: Any = None
        self._prefs = ft.SharedPreferences()
        try:
            from flet_secure_storage import SecureStorage

            self._secure = SecureStorage()
        except ImportError:  # the extension is not in this build
            self._secure = None

    async def get(self, key: str) -> str | None:
        if self._secure is not None:
            try:
                return await self._secure.get(key)
            except Exception:  # no secure storage here: fall back
                self._secure = None
        value = await self._prefs.get(key)
        return str(value) if value is not None else None

    async def set(self, key: str, value: str | None) -> None:
        store = self._secure if self._secure is not None else self._prefs
        try:
            if value is None:
                await store.remove(key)
            else:
                await store.set(key, value)
        except Exception:  # a failed write: signed in for this session only
            if store is self._secure:
                self._secure = None
                await self.set(key, value)


def local_notifications(page: ft.Page) -> ReminderScheduler | None:
    """Local reminders on a phone only: the extension's Dart half exists in a `flet build`
    app, not in the prebuilt web client (where it is never imported nor created)."""
    if page.web or page.platform not in PHONES:
        return None
    try:
        from flet_notifications import AndroidScheduleMode, LocalNotifications
    except ImportError:  # a build without the extension: the bot still reminds
        return None
    return ReminderScheduler(
        LocalNotifications(),
        schedule_options={"schedule_mode": AndroidScheduleMode.EXACT_ALLOW_WHILE_IDLE},
        inexact_options={"schedule_mode": AndroidScheduleMode.INEXACT_ALLOW_WHILE_IDLE},
    )


async def run_app(page: ft.Page, config: AppConfig) -> None:
    store = TokenStore()
    token = await store.get(TOKEN_KEY)
    theme = await store.get(THEME_KEY)
    ui = AppUI(page, config, store, token, theme)
    ui.start()


class AppUI:
    def __init__(
        self,
        page: ft.Page,
        config: AppConfig,
        store: TokenStore,
        token: str | None,
        theme: str | None,
    ) -> None:
        self.page = page
        self.config = config
        self.store = store
        self.state = AppState(config, token=token or None, on_token=self._token_changed)
        self.tab = "schedule"
        self.detail: int | None = None
        self.after_sign_in: Callable[[], None] | None = None
        self.body = ft.Column(
            expand=True,
            scroll=ft.ScrollMode.AUTO,
            spacing=8,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            on_scroll=self._pulled,
            scroll_interval=50,
        )
        self._pull = 0.0
        self._force = False
        self._refreshing = threading.Lock()
        self.closed = threading.Event()
        self.unread = 0
        self.reminders: ReminderScheduler | None = None
        self.page.theme_mode = {
            "dark": ft.ThemeMode.DARK,
            "light": ft.ThemeMode.LIGHT,
        }.get(theme or "", ft.ThemeMode.SYSTEM)

    # --- words and shell ------------------------------------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return tr(key, self.state.language, **values)

    def start(self) -> None:
        page = self.page
        page.title = self.t("app.title")
        page.theme = ft.Theme(color_scheme_seed=ft.Colors.INDIGO)
        page.dark_theme = ft.Theme(color_scheme_seed=ft.Colors.INDIGO)
        page.padding = 12
        page.on_close = lambda _e: self.closed.set()
        page.on_disconnect = lambda _e: None
        page.on_app_lifecycle_state_change = self._lifecycle
        self.reminders = local_notifications(page)
        page.appbar = ft.AppBar(title=ft.Text(self.t("app.title")), actions=[])
        page.navigation_bar = ft.NavigationBar(
            destinations=[],
            selected_index=0,
            on_change=self._tab_changed,
        )
        self._shell()
        page.add(ft.SafeArea(content=self.body, expand=True))
        self.show()
        if self.state.signed_in:
            page.run_thread(self._first_profile_load)
        page.run_thread(self._poll_loop)

    def _first_profile_load(self) -> None:
        try:
            self.state.load_profile()
            self.state.poll_notifications()
        except ApiError:
            pass  # offline or signed out: the screens say so when opened
        self._refresh_reminders()
        self._shell()
        self.page.update()

    def _shell(self) -> None:
        page = self.page
        page.title = self.t("app.title")
        page.appbar.title = ft.Text(self.t(f"title.{self.tab}"))
        page.appbar.leading = (
            ft.IconButton(ft.Icons.ARROW_BACK, tooltip=self.t("common.back"), on_click=self._back)
            if self.detail is not None
            else None
        )
        page.appbar.actions = [
            ft.TextButton(
                "EN" if self.state.language == "ru" else "RU",
                tooltip=self.t("profile.language"),
                on_click=self._switch_language,
            ),
            ft.IconButton(
                ft.Icons.REFRESH,
                tooltip=self.t("common.refresh"),
                on_click=lambda _e: self.refresh(),
            ),
        ]
        labels = [self.t(f"nav.{tab}") for tab in TABS]
        alerts = ft.Icon(ICONS[3], badge=str(self.unread)) if self.unread else ICONS[3]
        icons = [*ICONS[:3], alerts, ICONS[4]]
        page.navigation_bar.destinations = [
            ft.NavigationBarDestination(icon=icon, label=label)
            for icon, label in zip(icons, labels, strict=True)
        ]
        page.navigation_bar.selected_index = TABS.index(self.tab)

    def _tab_changed(self, e: ft.ControlEvent) -> None:
        self.tab = TABS[int(e.control.selected_index)]
        self.detail = None
        if self.tab == "alerts":
            self.unread = 0
        self.show()

    def _pulled(self, e: Any) -> None:
        """Pull to refresh: dragging down past the top of a screen reloads it."""
        kind = getattr(e.event_type, "value", e.event_type)
        if kind == "overscroll" and (e.overscroll or 0) < 0 and e.pixels <= e.min_scroll_extent:
            self._pull += e.overscroll
            if self._pull < -PULL_TO_REFRESH and self._refreshing.acquire(blocking=False):
                self._pull = 0.0
                try:
                    self.refresh()
                finally:
                    self._refreshing.release()
        elif kind in ("start", "end"):
            self._pull = 0.0

    def _switch_language(self, _e: Any) -> None:
        self.state.language = "en" if self.state.language == "ru" else "ru"
        self.show()

    def _back(self, _e: Any = None) -> None:
        self.detail = None
        self.show()

    def _lifecycle(self, e: Any) -> None:
        """Back in the foreground: look for news at once (and keep polling while open)."""
        state = getattr(getattr(e, "state", None), "value", None)
        if state in ("resume", "show"):
            if self.state.signed_in:
                self.page.run_thread(self._poll_once)
            if self.reminders is not None:
                self.page.run_thread(self._refresh_reminders)

    def _token_changed(self, token: str | None) -> None:
        self.page.run_task(self.store.set, TOKEN_KEY, token)

    def toast(self, text: str) -> None:
        self.page.show_dialog(ft.SnackBar(content=ft.Text(text), duration=2500))

    def set_body(self, *controls: ft.Control) -> None:
        # a little room on top: a text field's floating label is not cut by the scroll edge
        self.body.controls = [ft.Container(height=4), *controls]
        self._shell()
        self.page.update()

    def loading(self) -> None:
        self.set_body(
            ft.Row(
                [ft.ProgressRing(width=22, height=22), ft.Text(self.t("common.loading"))],
                alignment=ft.MainAxisAlignment.CENTER,
            )
        )

    def failure(self, exc: ApiError, retry: Callable[[], None]) -> None:
        if exc.code == "unauthorized":
            self.show()
            return
        self.set_body(
            ft.Text(error_text(exc.code, self.state.language), color=ft.Colors.ERROR),
            ft.Button(self.t("common.retry"), icon=ft.Icons.REFRESH, on_click=lambda _e: retry()),
        )

    def refresh(self) -> None:
        """Reload what the current screen shows from the server (the refresh button, a pull)."""
        self._force = True
        self.show()

    def show(self) -> None:
        """Render the current tab (or the training opened from it)."""
        if self.detail is not None:
            self.show_training(self.detail)
        elif self.tab == "schedule":
            self.show_schedule()
        elif self.tab == "map":
            self.show_map()
        elif not self.state.signed_in:
            self.show_sign_in()
        elif self.tab == "mine":
            self.show_mine()
        elif self.tab == "alerts":
            self.show_alerts()
        else:
            self.show_profile()

    # --- schedule -------------------------------------------------------------------------------
    def _ensure_schedule(self, fresh: bool = True) -> bool:
        fresh = fresh or self._force
        self._force = False
        if self.state.schedule is not None and not fresh:
            return True
        self.loading()
        try:
            self.state.load_schedule()
        except ApiError as exc:
            self.failure(exc, self.show)
            return False
        return True

    def _city_name(self, city_id: int) -> str:
        city = self.state.schedule.cities.get(city_id) if self.state.schedule else None
        if not city:
            return str(city_id)
        return city["name_en"] if self.state.language == "en" else city["name_ru"]

    def _when(self, training: Training) -> str:
        start = local_start(training)
        end = training.ends_at.astimezone(start.tzinfo)
        return self.t(
            "training.time",
            date=start.strftime("%d.%m (%a)") if self.state.language == "en" else _ru_day(start),
            start=start.strftime("%H:%M"),
            end=end.strftime("%H:%M"),
            zone=training.time_zone,
        )

    def show_schedule(self) -> None:
        if not self._ensure_schedule(fresh=self.state.schedule is None):
            return
        schedule = self.state.schedule
        assert schedule is not None
        f = self.state.filters
        status = (
            ft.Container(
                ft.Text(
                    self.t(
                        "schedule.offline",
                        age=age_text(schedule.age().total_seconds(), self.state.language),
                    ),
                    color=ft.Colors.ON_ERROR_CONTAINER,
                ),
                bgcolor=ft.Colors.ERROR_CONTAINER,
                padding=8,
                border_radius=8,
            )
            if schedule.from_cache
            else ft.Text(
                self.t(
                    "schedule.updated",
                    age=age_text(schedule.age().total_seconds(), self.state.language),
                ),
                size=12,
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        )
        cities = [ft.DropdownOption(key="", text=self.t("filter.all_cities"))] + [
            ft.DropdownOption(key=str(cid), text=self._city_name(cid)) for cid in schedule.cities
        ]
        venues = [ft.DropdownOption(key="", text=self.t("filter.all_venues"))] + [
            ft.DropdownOption(key=str(vid), text=venue.name)
            for vid, (venue, _next) in self.state.venues().items()
        ]
        days = [ft.DropdownOption(key="", text=self.t("filter.any_day"))] + [
            ft.DropdownOption(
                key=d.isoformat(),
                text=_ru_day(d) if self.state.language == "ru" else d.strftime("%d.%m (%a)"),
            )
            for d in self.state.days()
        ]
        prices = [
            ft.DropdownOption(key=k, text=self.t(f"filter.price_{k}"))
            for k in ("any", "free", "paid")
        ]

        def changed(field: str, convert: Callable[[str], Any]) -> Callable[[ft.ControlEvent], None]:
            def handler(e: ft.ControlEvent) -> None:
                value = e.control.value
                setattr(f, field, convert(value) if value else None)
                if field == "city":
                    f.venue = None
                self.show_schedule()

            return handler

        filters = ft.Column(
            [
                ft.Row(
                    [
                        ft.Dropdown(
                            label=self.t("filter.city"),
                            options=cities,
                            value=str(f.city or ""),
                            on_select=changed("city", int),
                            expand=True,
                            dense=True,
                        ),
                        ft.Dropdown(
                            label=self.t("filter.day"),
                            options=days,
                            value=f.day.isoformat() if f.day else "",
                            on_select=changed("day", date.fromisoformat),
                            expand=True,
                            dense=True,
                        ),
                    ]
                ),
                ft.Row(
                    [
                        ft.Dropdown(
                            label=self.t("filter.venue"),
                            options=venues,
                            value=str(f.venue or ""),
                            on_select=changed("venue", int),
                            expand=True,
                            dense=True,
                        ),
                        ft.Dropdown(
                            label=self.t("filter.price"),
                            options=prices,
                            value=f.price,
                            on_select=lambda e: (
                                setattr(f, "price", e.control.value or "any"),
                                self.show_schedule(),
                            ),
                            width=130,
                            dense=True,
                        ),
                    ]
                ),
                ft.Checkbox(
                    label=self.t("filter.free_seats"),
                    value=f.free_seats,
                    on_change=lambda e: (
                        setattr(f, "free_seats", bool(e.control.value)),
                        self.show_schedule(),
                    ),
                ),
            ],
            spacing=6,
        )
        trainings = self.state.visible()
        cards: list[ft.Control] = [self._training_tile(x) for x in trainings] or [
            ft.Container(ft.Text(self.t("schedule.empty")), padding=16)
        ]
        self.set_body(status, filters, *cards)

    def _training_tile(self, x: Training) -> ft.Control:
        seats = (
            self.t("training.seats", free=x.seats_free, capacity=x.capacity)
            if x.seats_free > 0
            else self.t("training.full")
        )
        return ft.Card(
            content=ft.ListTile(
                title=ft.Text(x.title, weight=ft.FontWeight.BOLD),
                subtitle=ft.Text(
                    f"{self._when(x)}\n{x.venue.name} · "
                    f"{money(x.price_kopecks, self.state.language)} · {seats}"
                ),
                is_three_line=True,
                on_click=lambda _e, tid=x.id: self.open_training(tid),
            )
        )

    def open_training(self, training_id: int) -> None:
        self.detail = training_id
        self.show()

    # --- map ------------------------------------------------------------------------------------
    def show_map(self) -> None:
        if not self._ensure_schedule(fresh=self.state.schedule is None):
            return
        import flet_map as fm

        venues = self.state.venues()
        placed = [
            (v, nxt)
            for v, nxt in venues.values()
            if v.latitude is not None and v.longitude is not None
        ]
        rows: list[ft.Control] = []
        if placed:
            lat = sum(v.latitude for v, _ in placed) / len(placed)
            lon = sum(v.longitude for v, _ in placed) / len(placed)
            layers: list[Any] = []
            if self.config.tile_url:
                layers.append(
                    fm.TileLayer(
                        url_template=self.config.tile_url, user_agent_package_name="fpv_app"
                    )
                )
                layers.append(fm.SimpleAttribution(text=self.config.tile_attribution))
            layers.append(
                fm.MarkerLayer(
                    markers=[
                        fm.Marker(
                            content=ft.Icon(
                                ft.Icons.LOCATION_ON, color=ft.Colors.RED, size=30, tooltip=v.name
                            ),
                            coordinates=fm.MapLatitudeLongitude(v.latitude, v.longitude),
                        )
                        for v, _ in placed
                    ]
                )
            )
            rows.append(
                ft.Container(
                    fm.Map(
                        layers=layers,
                        initial_center=fm.MapLatitudeLongitude(lat, lon),
                        initial_zoom=10,
                        # every venue in view (one venue: its street)
                        initial_camera_fit=fm.CameraFit(
                            coordinates=[
                                fm.MapLatitudeLongitude(v.latitude, v.longitude) for v, _ in placed
                            ],
                            max_zoom=14,
                            padding=ft.Padding.all(36),
                        ),
                    ),
                    height=300,
                    border_radius=12,
                    clip_behavior=ft.ClipBehavior.HARD_EDGE,
                )
            )
        else:
            rows.append(ft.Text(self.t("map.no_coordinates")))
        for v, nxt in venues.values():
            actions: list[ft.Control] = [
                ft.TextButton(nxt.title, on_click=lambda _e, tid=nxt.id: self.open_training(tid))
            ]
            if v.latitude is not None and v.longitude is not None:
                actions.append(
                    ft.TextButton(
                        self.t("training.open_in_yandex"),
                        icon=ft.Icons.OPEN_IN_NEW,
                        url=yandex_maps_url(v.latitude, v.longitude),
                    )
                )
            rows.append(
                ft.Card(
                    content=ft.Container(
                        ft.Column(
                            [
                                ft.Text(v.name, weight=ft.FontWeight.BOLD),
                                ft.Text(v.address, size=12),
                                ft.Text(self.t("map.next", when=self._when(nxt)), size=12),
                                ft.Row(actions, wrap=True),
                            ],
                            spacing=4,
                        ),
                        padding=12,
                    )
                )
            )
        self.set_body(*rows)

    # --- a training -----------------------------------------------------------------------------
    def show_training(self, training_id: int) -> None:
        if not self.state.signed_in:
            training = next(
                (
                    x
                    for x in (self.state.schedule.trainings if self.state.schedule else [])
                    if x.id == training_id
                ),
                None,
            )
            if training is None:
                self.detail = None
                self.show()
                return
            self.set_body(
                *self._training_head(training),
                ft.Text(self.t("training.sign_in_first")),
                ft.Button(
                    self.t("signin.start"),
                    icon=ft.Icons.SEND,
                    on_click=lambda _e: self.show_sign_in(
                        then=lambda: self.show_training(training_id)
                    ),
                ),
            )
            return
        self.loading()
        try:
            card = self.state.training(training_id)
        except ApiError as exc:
            self.failure(exc, lambda: self.show_training(training_id))
            return
        self.set_body(
            *self._training_head(card.training), *self._board(card), *self._sign_up_part(card)
        )

    def _training_head(self, x: Training) -> list[ft.Control]:
        head: list[ft.Control] = [
            ft.Text(x.title, size=22, weight=ft.FontWeight.BOLD),
            ft.Text(self._when(x)),
            ft.Text(f"{x.venue.name}, {x.venue.address}"),
            ft.Text(
                f"{money(x.price_kopecks, self.state.language)} · "
                + (
                    self.t("training.seats", free=x.seats_free, capacity=x.capacity)
                    if x.seats_free
                    else self.t("training.full")
                )
            ),
        ]
        if x.notes:
            head.append(ft.Text(x.notes, size=12))
        if x.venue.latitude is not None and x.venue.longitude is not None:
            head.append(
                ft.TextButton(
                    self.t("training.open_in_yandex"),
                    icon=ft.Icons.OPEN_IN_NEW,
                    url=yandex_maps_url(x.venue.latitude, x.venue.longitude),
                )
            )
        return head

    def _board(self, card: TrainingCard) -> list[ft.Control]:
        rows: list[ft.Control] = [
            ft.Text(self.t("training.board"), size=16, weight=ft.FontWeight.BOLD)
        ]
        if not card.board:
            rows.append(ft.Text(self.t("training.board_empty"), size=12))
        for seat in card.board:
            rows.append(
                ft.Text(
                    f"{self.t('training.heat', n=seat.heat)} · {seat.channel_label or '—'}"
                    f" ({seat.channel_mhz or '—'} MHz) · "
                    f"{seat.nickname or self.t('training.pilot_hidden')}"
                )
            )
        return rows

    def _sign_up_part(self, card: TrainingCard) -> list[ft.Control]:
        mine = card.mine
        if mine is not None:
            key = {
                "confirmed": "training.signed_up",
                "pending_payment": "training.pending_payment",
            }.get(mine.status, "training.waitlist")
            return [
                ft.Container(
                    ft.Text(self.t(key, channel=mine.channel_label or "—", heat=mine.heat)),
                    bgcolor=ft.Colors.SECONDARY_CONTAINER,
                    padding=10,
                    border_radius=8,
                )
            ]
        if card.training.status != "scheduled":
            return []
        choice = ft.Dropdown(
            label=self.t("training.channel_choose"),
            options=[ft.DropdownOption(key="", text=self.t("training.channel_auto"))]
            + [
                ft.DropdownOption(
                    key=str(c.mhz),
                    text=self.t(
                        "training.channel_option",
                        label=c.label,
                        mhz=c.mhz,
                        rating=c.rating,
                        heat=c.heat,
                    ),
                )
                for c in card.channels
            ],
            value="",
            expand=True,
        )
        button = ft.Button(self.t("training.sign_up"), icon=ft.Icons.CHECK)

        def sign_up(_e: Any) -> None:
            button.disabled = True  # one tap, one request
            self.page.update()
            try:
                done = self.state.sign_up(
                    card.training.id, int(choice.value) if choice.value else None
                )
            except ApiError as exc:
                button.disabled = False
                self.toast(error_text(exc.code, self.state.language))
                self.page.update()
                return
            if done.waitlist_position:
                self.toast(self.t("training.waitlist_toast", n=done.waitlist_position))
            else:
                self.toast(self.t("training.signed_up_toast"))
            self.show_training(card.training.id)
            self._refresh_reminders()
            if done.invoice_link:
                self.body.controls.append(
                    ft.Button(
                        self.t("training.open_invoice"),
                        icon=ft.Icons.PAYMENT,
                        url=done.invoice_link,
                    )
                )
                self.page.update()
                self.page.run_task(self._launch, done.invoice_link)

        button.on_click = sign_up
        parts: list[ft.Control] = [ft.Row([choice]), button]
        if card.training.price_kopecks:
            parts.insert(0, ft.Text(self.t("training.paid_hint"), size=12))
        return parts

    async def _launch(self, url: str) -> None:
        # a browser or phone that refuses: the button stays for a second try
        with contextlib.suppress(Exception):
            await ft.UrlLauncher().launch_url(url)

    # --- sign-in --------------------------------------------------------------------------------
    def show_sign_in(self, then: Callable[[], None] | None = None) -> None:
        if then is not None:
            self.after_sign_in = then
        status = ft.Column([], spacing=8)
        start = ft.Button(self.t("signin.start"), icon=ft.Icons.SEND)

        def begin(_e: Any) -> None:
            start.disabled = True
            self.page.update()
            try:
                started = self.state.start_sign_in()
            except ApiError as exc:
                start.disabled = False
                status.controls = [
                    ft.Text(error_text(exc.code, self.state.language), color=ft.Colors.ERROR)
                ]
                self.page.update()
                return
            status.controls = [
                ft.Row([ft.ProgressRing(width=18, height=18), ft.Text(self.t("signin.waiting"))]),
                ft.Button(self.t("signin.open"), icon=ft.Icons.OPEN_IN_NEW, url=started.deep_link),
                ft.Text(self.t("signin.link", link=started.deep_link), size=11),
            ]
            self.page.update()
            self.page.run_thread(self._wait_for_sign_in)

        start.on_click = begin
        self.set_body(
            ft.Text(self.t("signin.title"), size=22, weight=ft.FontWeight.BOLD),
            ft.Text(self.t("signin.text")),
            start,
            status,
        )

    def _wait_for_sign_in(self) -> None:
        deadline = time.monotonic() + 11 * 60
        while not self.closed.is_set() and time.monotonic() < deadline and self.state.sign_in:
            try:
                if self.state.poll_sign_in():
                    with contextlib.suppress(ApiError):  # what came before is history, not news
                        self.state.poll_notifications()
                    self.toast(self.t("signin.done"))
                    self._refresh_reminders()
                    then, self.after_sign_in = self.after_sign_in, None
                    if then is not None:
                        then()
                    else:
                        self.show()
                    return
            except ApiError as exc:
                if not exc.is_network:
                    self.set_body(
                        ft.Text(error_text(exc.code, self.state.language), color=ft.Colors.ERROR),
                        ft.Button(self.t("signin.start"), on_click=lambda _e: self.show_sign_in()),
                    )
                    return
            self.closed.wait(self.config.sign_in_poll_seconds)

    # --- my trainings ---------------------------------------------------------------------------
    def show_mine(self) -> None:
        self.loading()
        try:
            mine = self.state.my_trainings()
        except ApiError as exc:
            self.failure(exc, self.show_mine)
            return
        self._sync_reminders(mine)
        if not mine:
            self.set_body(ft.Container(ft.Text(self.t("mine.empty")), padding=16))
            return
        self.set_body(*(self._mine_card(m) for m in mine))

    def _mine_card(self, m: MyTraining) -> ft.Control:
        reg = m.registration
        status = (
            self.t(f"mine.status.{reg.status}")
            if reg.status
            in (
                "confirmed",
                "pending_payment",
                "waitlisted",
            )
            else reg.status
        )
        when = local_start_of(m)
        return ft.Card(
            content=ft.Container(
                ft.Column(
                    [
                        ft.Text(m.title, weight=ft.FontWeight.BOLD),
                        ft.Text(f"{when} ({m.time_zone}) · {m.venue_name}", size=12),
                        ft.Text(
                            f"{status} · {reg.channel_label or '—'} · "
                            f"{self.t('training.heat', n=reg.heat)} · "
                            f"{money(m.price_kopecks, self.state.language)}"
                        ),
                        ft.Row(
                            [
                                ft.TextButton(
                                    self.t("mine.change_channel"),
                                    on_click=lambda _e: self._change_channel(m),
                                ),
                                ft.TextButton(
                                    self.t("mine.cancel"), on_click=lambda _e: self._cancel(m)
                                ),
                            ],
                            wrap=True,
                        ),
                    ],
                    spacing=4,
                ),
                padding=12,
                on_click=lambda _e: self.open_training(reg.training_id),
            )
        )

    def _cancel(self, m: MyTraining) -> None:
        def confirm(_e: Any) -> None:
            self.page.pop_dialog()
            try:
                refund = self.state.cancel(m.registration.id)
            except ApiError as exc:
                self.toast(error_text(exc.code, self.state.language))
                return
            self.toast(self.t("mine.cancelled_refund" if refund else "mine.cancelled"))
            self.show_mine()

        self.page.show_dialog(
            ft.AlertDialog(
                title=ft.Text(self.t("mine.cancel_confirm", title=m.title)),
                actions=[
                    ft.TextButton(
                        self.t("common.cancel"), on_click=lambda _e: self.page.pop_dialog()
                    ),
                    ft.TextButton(self.t("common.confirm"), on_click=confirm),
                ],
            )
        )

    def _change_channel(self, m: MyTraining) -> None:
        try:
            card = self.state.training(m.registration.training_id)
        except ApiError as exc:
            self.toast(error_text(exc.code, self.state.language))
            return
        choice = ft.Dropdown(
            label=self.t("training.channel_choose"),
            options=[
                ft.DropdownOption(
                    key=str(c.mhz),
                    text=self.t(
                        "training.channel_option",
                        label=c.label,
                        mhz=c.mhz,
                        rating=c.rating,
                        heat=c.heat,
                    ),
                )
                for c in card.channels
            ],
            width=340,
        )

        def save(_e: Any) -> None:
            if not choice.value:
                return
            self.page.pop_dialog()
            try:
                chosen = self.state.change_channel(m.registration.id, int(choice.value))
            except ApiError as exc:
                self.toast(error_text(exc.code, self.state.language))
                return
            self.toast(self.t("mine.channel_changed", label=chosen.label))
            self.show_mine()

        self.page.show_dialog(
            ft.AlertDialog(
                title=ft.Text(self.t("mine.change_channel")),
                content=choice,
                actions=[
                    ft.TextButton(
                        self.t("common.cancel"), on_click=lambda _e: self.page.pop_dialog()
                    ),
                    ft.TextButton(self.t("common.save"), on_click=save),
                ],
            )
        )

    # --- notifications --------------------------------------------------------------------------
    def show_alerts(self) -> None:
        self.loading()
        try:
            self.state.poll_notifications()
        except ApiError as exc:
            self.failure(exc, self.show_alerts)
            return
        items = self.state.notifications
        if not items:
            self.set_body(ft.Container(ft.Text(self.t("alerts.empty")), padding=16))
            return
        self.set_body(
            *(
                ft.Card(
                    content=ft.ListTile(
                        leading=ft.Icon(
                            ft.Icons.ALARM if n.kind == "reminder" else ft.Icons.MESSAGE
                        ),
                        title=ft.Text(n.text),
                        subtitle=ft.Text(n.at.astimezone().strftime("%d.%m %H:%M"), size=12),
                    )
                )
                for n in items
            )
        )

    def _poll_once(self) -> None:
        try:
            fresh = self.state.poll_notifications()
        except ApiError:
            return
        if fresh:
            self.unread += len(fresh)
            self.toast(self.t("alerts.new", text=fresh[0].text[:120]))
            self._shell()
            self.page.update()

    # --- local reminders (Android/iOS) -----------------------------------------------------------
    def _refresh_reminders(self) -> None:
        """From a worker thread: fetch my trainings and bring the phone's reminders up to date."""
        if self.reminders is None:
            return
        try:
            mine = self.state.my_trainings() if self.state.signed_in else []
        except ApiError:
            if self.state.signed_in:
                return  # offline: what the phone holds stays until the next sync
            mine = []  # signed out elsewhere (the token was refused): no reminders stay
        self._sync_reminders(mine)

    def _sync_reminders(self, mine: list[MyTraining]) -> None:
        if self.reminders is not None:
            self.page.run_task(self._sync_reminders_task, reminder_plan(mine), self.state.language)

    async def _sync_reminders_task(self, plan: list[Any], lang: str) -> None:
        if self.reminders is None:
            return
        # the OS prompt once per install, when there is a first reminder to set
        if plan and await self.store.get(NOTIFY_ASKED_KEY) is None:
            await self.store.set(NOTIFY_ASKED_KEY, "1")
            if not await self.reminders.ask_permission():
                self.toast(self.t("notify.denied"))
        await self.reminders.check_exact_alarms()
        with contextlib.suppress(Exception):  # a phone that refuses: the bot still reminds
            await self.reminders.sync(plan, lang)

    def _clear_reminders(self) -> None:
        if self.reminders is not None:
            self.page.run_task(self._clear_reminders_task)

    async def _clear_reminders_task(self) -> None:
        if self.reminders is not None:
            with contextlib.suppress(Exception):
                await self.reminders.clear()

    def _poll_loop(self) -> None:
        while not self.closed.wait(self.config.poll_seconds):
            if self.state.signed_in:
                self._poll_once()

    # --- profile --------------------------------------------------------------------------------
    def show_profile(self) -> None:
        self.loading()
        try:
            profile = self.state.load_profile()
            devices = self.state.devices()
            analog_bands, digital_systems = self.state.equipment_choices()
        except ApiError as exc:
            self.failure(exc, self.show_profile)
            return
        nickname = ft.TextField(
            label=self.t("profile.nickname"), value=profile.nickname or "", max_length=32
        )
        digital_now = profile.equipment if profile.equipment in digital_systems else ""
        bands_now = (
            set() if digital_now else {b.strip().upper() for b in profile.equipment.split(",")}
        )
        bands = [ft.Checkbox(label=b, value=b in bands_now) for b in analog_bands]
        band_row = ft.Row([ft.Container(c, width=56) for c in bands], wrap=True, spacing=0)
        digital = ft.Dropdown(
            label=self.t("profile.digital"),
            options=[ft.DropdownOption(key="", text=self.t("profile.digital_none"))]
            + [ft.DropdownOption(key=k, text=v) for k, v in digital_systems.items()],
            value=digital_now,
            expand=True,
        )
        language = ft.Dropdown(
            label=self.t("profile.language"),
            options=[
                ft.DropdownOption(key="ru", text="Русский"),
                ft.DropdownOption(key="en", text="English"),
            ],
            value=profile.language if profile.language in ("ru", "en") else "ru",
            width=160,
        )
        show = ft.Switch(label=self.t("profile.show_on_site"), value=profile.show_on_site)
        dark = ft.Switch(
            label=self.t("profile.theme"),
            value=self.page.theme_mode == ft.ThemeMode.DARK,
            on_change=self._toggle_theme,
        )

        def save(_e: Any) -> None:
            equipment = digital.value or ",".join(c.label for c in bands if c.value)
            try:
                self.state.update_profile(
                    nickname=nickname.value.strip()
                    if nickname.value.strip() != (profile.nickname or "")
                    else None,
                    equipment=equipment or None,
                    language=language.value,
                    show_on_site=bool(show.value),
                )
            except ApiError as exc:
                self.toast(error_text(exc.code, self.state.language))
                return
            self.toast(self.t("common.saved"))
            self.show_profile()

        device_rows = [
            ft.ListTile(
                leading=ft.Icon(ft.Icons.PHONE_ANDROID),
                title=ft.Text(
                    d.name + (f" ({self.t('profile.this_device')})" if d.current else "")
                ),
                subtitle=ft.Text(d.created_at.astimezone().strftime("%d.%m.%Y"), size=12),
                trailing=ft.IconButton(
                    ft.Icons.LOGOUT,
                    tooltip=self.t("profile.sign_out_device"),
                    on_click=lambda _e, d=d: self._revoke(d.id, d.current),
                ),
            )
            for d in devices
        ]
        self.set_body(
            nickname,
            ft.Text(self.t("profile.equipment"), weight=ft.FontWeight.BOLD),
            ft.Text(self.t("profile.analog"), size=12),
            band_row,
            ft.Row([digital]),
            ft.Row([language]),
            show,
            ft.Button(self.t("common.save"), icon=ft.Icons.SAVE, on_click=save),
            ft.Divider(),
            dark,
            ft.Divider(),
            ft.Text(self.t("profile.devices"), weight=ft.FontWeight.BOLD),
            *device_rows,
            ft.Divider(),
            ft.TextButton(
                self.t("profile.sign_out"), icon=ft.Icons.LOGOUT, on_click=self._sign_out
            ),
            ft.TextButton(
                self.t("profile.delete"),
                icon=ft.Icons.DELETE_FOREVER,
                style=ft.ButtonStyle(color=ft.Colors.ERROR),
                on_click=self._delete_account,
            ),
        )

    def _toggle_theme(self, e: ft.ControlEvent) -> None:
        dark = bool(e.control.value)
        self.page.theme_mode = ft.ThemeMode.DARK if dark else ft.ThemeMode.LIGHT
        self.page.run_task(self.store.set, THEME_KEY, "dark" if dark else "light")
        self.page.update()

    def _revoke(self, device_id: int, current: bool) -> None:
        try:
            self.state.revoke_device(device_id, current)
        except ApiError as exc:
            self.toast(error_text(exc.code, self.state.language))
            return
        self.show()

    def _sign_out(self, _e: Any) -> None:
        try:
            self.state.sign_out()
        except ApiError as exc:
            self.toast(error_text(exc.code, self.state.language))
        self._clear_reminders()
        self.show()

    def _delete_account(self, _e: Any) -> None:
        def confirm(_e: Any) -> None:
            self.page.pop_dialog()
            try:
                self.state.delete_account()
            except ApiError as exc:
                self.toast(error_text(exc.code, self.state.language))
                return
            self._clear_reminders()
            self.toast(self.t("profile.deleted"))
            self.tab = "schedule"
            self.show()

        self.page.show_dialog(
            ft.AlertDialog(
                title=ft.Text(self.t("profile.delete_title")),
                content=ft.Text(self.t("profile.delete_text")),
                actions=[
                    ft.TextButton(
                        self.t("common.cancel"), on_click=lambda _e: self.page.pop_dialog()
                    ),
                    ft.TextButton(
                        self.t("profile.delete_confirm"),
                        style=ft.ButtonStyle(color=ft.Colors.ERROR),
                        on_click=confirm,
                    ),
                ],
            )
        )


_RU_DAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def _ru_day(d: date) -> str:
    return f"{d.strftime('%d.%m')} ({_RU_DAYS[d.weekday()]})"


def local_start_of(m: MyTraining) -> str:
    from zoneinfo import ZoneInfo

    return m.starts_at.astimezone(ZoneInfo(m.time_zone)).strftime("%d.%m %H:%M")


__all__ = ["AppUI", "Filters", "run_app"]
