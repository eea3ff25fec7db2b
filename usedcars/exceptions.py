from accounts.exceptions import ApplicationError


class UsedcarsError(ApplicationError):
    pass
