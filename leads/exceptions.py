from accounts.exceptions import ApplicationError


class LeadsError(ApplicationError):
    pass
