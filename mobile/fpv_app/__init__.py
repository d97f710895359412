"""The pilots' app (issue #16): a Flet app over the platform's `/api/app/`.

`client` (HTTP calls, typed answers, errors as codes) and `state` (token, schedule cache on disk,
sign-in, notifications polling) have no UI and are tested against the real local platform;
`ui/` holds thin Flet screens over them; `serve` runs the web build (`make app`)."""
