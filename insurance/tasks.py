"""django-q2 entry points of the insurance app: take ids, call one service."""
