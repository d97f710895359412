"""The admins' voice assistant (issue 19, DESIGN §8): a voice or text message from an admin is
transcribed and turned into tool calls by a chat model; read-only answers come at once, changes
wait for one tap on Confirm and then run through the same use cases as every other front door,
with the admin's own role and venues. Import-light: `openai` is imported only by
`fpv.voice.assistant` (the voice_assistant function), never by the webhook.
"""
