"""The public schedule site: schedule document, rendering, calendar feeds, publishing."""
