"""django-q2 entry points of the mall app: take ids, call one service."""
