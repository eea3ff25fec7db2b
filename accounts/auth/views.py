"""Staff password reset by SMS code: three pages over
``accounts.auth.password_reset`` (the rules live there).  Every answer is the
same whether the username or mobile typed belongs to an account or not."""

from __future__ import annotations

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.audit import client_ip
from accounts.auth import password_reset
from accounts.auth.forms import PasswordResetCodeForm, PasswordResetRequestForm
from accounts.models import User

SESSION_KEY = "staff_password_reset"
TOO_MANY_REQUESTS = _("请求过于频繁，请稍后再试。")
CODE_WRONG = _("验证码不正确。")
CODE_EXHAUSTED = _("验证码错误次数过多或已过期，请重新获取。")
RESET_DONE = _("密码已重置，请使用新密码登录。")


def _state(request) -> dict | None:
    state = request.session.get(SESSION_KEY)
    return state if password_reset.reset_state_valid(state) else None


class PasswordResetRequestView(View):
    """Step 1: username or mobile.  Always on to step 2 (after the limiter)."""

    template_name = "account/staff_password_reset.html"

    def get(self, request):
        return render(request, self.template_name, {"form": PasswordResetRequestForm()})

    def post(self, request):
        form = PasswordResetRequestForm(request.POST)
        if form.is_valid():
            identifier = form.cleaned_data["identifier"].strip()
            password_reset.reset_request_noticed(identifier=identifier, ip_address=client_ip(request))
            if ratelimit.consume(request, action="staff_password_reset", key=password_reset.reset_limit_key(identifier)):
                request.session[SESSION_KEY] = password_reset.reset_request(identifier=identifier)
                return redirect("staff_password_reset_code")
            form.add_error(None, TOO_MANY_REQUESTS)
            return render(request, self.template_name, {"form": form}, status=429)
        return render(request, self.template_name, {"form": form}, status=400)


class PasswordResetCodeView(View):
    """Step 2: the code from the SMS."""

    template_name = "account/staff_password_reset_code.html"

    def _render(self, request, form, status=200):
        context = {"form": form, "minutes": settings.STAFF_PASSWORD_RESET_MINUTES}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        if _state(request) is None:
            return redirect("staff_password_reset")
        return self._render(request, PasswordResetCodeForm())

    def post(self, request):
        state = _state(request)
        if state is None:
            messages.error(request, CODE_EXHAUSTED)
            return redirect("staff_password_reset")
        form = PasswordResetCodeForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        key = password_reset.reset_limit_key(state["identifier"])
        if not ratelimit.consume(request, action=password_reset.CODE_LIMIT, key=key):
            password_reset.reset_code_refused(state=state, ip_address=client_ip(request))
            form.add_error(None, TOO_MANY_REQUESTS)
            return self._render(request, form, status=429)
        user = password_reset.reset_verify(state=state, code=form.cleaned_data["code"])
        if user is not None:
            state["user_id"] = user.pk
        request.session[SESSION_KEY] = state
        if user is not None:
            return redirect("staff_password_reset_set")
        if not password_reset.reset_state_valid(state):
            request.session.pop(SESSION_KEY, None)
            messages.error(request, CODE_EXHAUSTED)
            return redirect("staff_password_reset")
        form.add_error("code", CODE_WRONG)
        return self._render(request, form, status=400)


class PasswordResetSetView(View):
    """Step 3: the new password, once the code was right."""

    template_name = "account/staff_password_reset_set.html"

    def _user(self, request) -> User | None:
        state = _state(request)
        if state is None or not state.get("user_id"):
            return None
        return User.objects.filter(pk=state["user_id"], is_active=True).first()

    def get(self, request):
        user = self._user(request)
        if user is None:
            return redirect("staff_password_reset")
        return render(request, self.template_name, {"form": SetPasswordForm(user)})

    def post(self, request):
        user = self._user(request)
        if user is None:
            return redirect("staff_password_reset")
        form = SetPasswordForm(user, request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        password_reset.reset_complete(user=user, password=form.cleaned_data["new_password1"], ip_address=client_ip(request))
        request.session.pop(SESSION_KEY, None)
        messages.success(request, RESET_DONE)
        return redirect(reverse("account_login"))
