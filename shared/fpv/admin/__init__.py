"""Organizer use cases (DESIGN §8–§9): each takes an `Actor` and decides authorization itself.

The admin API (`fpv.admin.api`, FastAPI) and the CLI are front doors to these functions; none of
them writes SQL (that is `fpv.dal.admin*`) or repeats a rule.
"""
