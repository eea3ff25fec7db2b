from accounts.exceptions import ApplicationError


class InsuranceError(ApplicationError):
    pass
