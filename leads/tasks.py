"""django-q2 entry points of the leads app: take ids, call one service."""
