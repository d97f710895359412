"""/api/admin/... and GET /api/openapi.json: the admin API (FastAPI behind Mangum).

Thin: the app (routes, problem JSON, sessions) is built in `fpv.admin.api`; the use cases in
`fpv.admin.*` decide authorization. FastAPI, Mangum and argon2 are loaded by this function only.
"""

from mangum import Mangum

from fpv.admin.api import create_app

app = create_app()
lambda_handler = Mangum(app, lifespan="off")
