from accounts.exceptions import ApplicationError


class MembershipError(ApplicationError):
    pass
