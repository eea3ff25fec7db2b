"""django-q2 entry points of the membership app: take ids, call one service."""
