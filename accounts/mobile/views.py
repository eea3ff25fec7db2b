from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from accounts import hooks, selectors, services
from accounts.exceptions import ApplicationError
from accounts.forms import form_errors_from
from accounts.mobile.forms import NotificationForm, ProfileForm, VehicleForm
from accounts.models import ConsentSource, Member, Role


class OwnerMixin(LoginRequiredMixin):
    """Owners only; staff who open /m/ are sent to the portal."""

    def get_login_url(self):
        return reverse("mobile:login")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if request.user.role != Role.OWNER:
                return redirect("portal:dashboard")
            self.member = selectors.owner_member(user=request.user)
            if self.member is None:
                self.member = services.member_ensure_for_owner(user=request.user)
        return super().dispatch(request, *args, **kwargs)


class LoginView(View):
    """The mini-site's sign-in entry: SMS code login, then back to the page
    that asked for it (only a mini-site page; anything else means home)."""

    def get(self, request):
        next_url = request.GET.get("next", "")
        home = reverse("mobile:home")
        if not (
            next_url.startswith(home)
            and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
        ):
            next_url = home
        if request.user.is_authenticated and request.user.role == Role.OWNER:
            return redirect(next_url)
        return redirect(f"{reverse('account_request_login_code')}?{urlencode({'next': next_url})}")


class HomeView(OwnerMixin, TemplateView):
    template_name = "mobile/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.member
        context["vehicles"] = selectors.owner_vehicle_list(member=self.member)
        context["panels"] = hooks.mobile_home_panels(request=self.request, member=self.member)
        return context


class ProfileView(OwnerMixin, FormView):
    template_name = "mobile/profile.html"
    form_class = ProfileForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Member.objects.get(pk=self.member.pk)
        return kwargs

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        data["consent_source"] = ConsentSource.MINISITE
        services.member_update_profile(member=self.member, data=data)
        messages.success(self.request, _("资料已保存。"))
        return redirect("mobile:profile")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.member
        return context


class NotificationsView(OwnerMixin, FormView):
    """通知设置: marketing consent, channels and topics in one form."""

    template_name = "mobile/notifications.html"
    form_class = NotificationForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Member.objects.get(pk=self.member.pk)
        return kwargs

    def form_valid(self, form):
        services.member_set_notification_preferences(
            member=self.member, data=form.cleaned_data, source=ConsentSource.MINISITE, actor=self.request.user
        )
        messages.success(self.request, _("通知设置已保存。"))
        return redirect("mobile:notifications")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = self.member
        return context


class VehicleListView(OwnerMixin, FormView):
    template_name = "mobile/vehicles.html"
    form_class = VehicleForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["vehicles"] = selectors.owner_vehicle_list(member=self.member)
        return context

    def form_valid(self, form):
        try:
            services.vehicle_add(member=self.member, actor=self.request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_errors_from(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("车辆已添加。"))
        return redirect("mobile:vehicles")


class VehiclePickerView(OwnerMixin, TemplateView):
    """The series and model pickers of the add-vehicle form for the brand
    (and series) chosen: the fragment htmx swaps in when a picker changes."""

    template_name = "includes/vehicle_make.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chosen = {key: self.request.GET.get(key, "")[:64] for key in ("brand", "series")}
        context["form"] = VehicleForm(initial=chosen)
        return context


class VehicleDeleteView(OwnerMixin, View):
    def post(self, request, pk):
        vehicle = get_object_or_404(selectors.owner_vehicle_list(member=self.member), pk=pk)
        services.vehicle_remove(vehicle=vehicle, actor=request.user)
        messages.success(request, _("车辆已移除。"))
        return redirect("mobile:vehicles")
