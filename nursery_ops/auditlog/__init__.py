"""The audit viewer (issue 8): the director reads who did what, when, to which record; BLOCK overrides; CSV."""
