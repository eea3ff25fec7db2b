"""Portal pages of the showroom (到店与试驾): the reception desk (today's
arrivals, check-in, walk-ins, no-shows), the feedback form after a drive,
the day and week calendars, booking from a lead, and the store's fleet and
opening hours.  Views parse input, call a selector or a service, and render;
POSTs answer 303 See Other (PRG)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role, Store
from accounts.portal.mixins import PortalMixin, SeeOther
from accounts.scoping import store_ids_for, stores_for
from leads.exceptions import LeadsError
from leads.models import AppointmentKind, AppointmentSource, AppointmentStatus
from leads.models_showroom import NO_SHOW_GRACE
from leads.portal.forms_showroom import BookingForm, CarForm, FeedbackForm, HoursForm, WalkInForm
from leads.selectors.leads import lead_get
from leads.selectors.showroom import (
    appointment_get,
    appointment_list,
    arrivals_today,
    calendar_day,
    calendar_week,
    showroom_sees_store,
    store_car,
    store_consultants,
    store_hours_week,
    test_drive_car_get,
    test_drive_car_list,
    test_drive_slots,
    visit_slots,
)
from leads.services.showroom import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_feedback,
    appointment_mark_no_show,
    store_hours_set,
    test_drive_car_save,
    walk_in_register,
)

# Who works the showroom floor: sales roles and the group; who runs the fleet and hours: managers and the group.
SHOWROOM_ROLES = GROUP_ROLES | {Role.CONSULTANT, Role.DCC, Role.MANAGER}
FLEET_ROLES = GROUP_ROLES | {Role.MANAGER}


def _next_or(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _chosen_store(request) -> tuple[Store | None, list[Store]]:
    """The store a page is about: a store role's own store; group roles pick
    one (``?store=<id>``, or the ``store`` field of a POST) from the stores
    they see.  Returns (store or None, the stores to pick from)."""
    user = request.user
    if not user.is_group_wide:
        return user.store, []
    stores = list(stores_for(user).filter(is_active=True).order_by("code"))
    wanted = request.POST.get("store") or request.GET.get("store") or ""
    return next((s for s in stores if str(s.pk) == wanted), None), stores


# Dates a calendar may show: its week and the previous/next links stay representable.
_FIRST_DAY, _LAST_DAY = dt.date(dt.MINYEAR + 1, 1, 1), dt.date(dt.MAXYEAR - 1, 12, 31)


def _day_param(request) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()
    return day if _FIRST_DAY <= day <= _LAST_DAY else timezone.localdate()


# --- reception (展厅接待) -----------------------------------------------------------------------------


class ReceptionView(PortalMixin, View):
    """Today's arrivals of the store and the walk-in form."""

    roles = SHOWROOM_ROLES
    template_name = "portal/leads/showroom/reception.html"

    def get(self, request, form=None, status=200):
        store, stores = _chosen_store(request)
        arrivals = list(arrivals_today(actor=request.user, store=store)) if store else []
        now = timezone.now()
        for appointment in arrivals:
            appointment.late = appointment.status == AppointmentStatus.BOOKED and appointment.ends_at + NO_SHOW_GRACE < now
            appointment.started = appointment.starts_at <= now  # a no-show only once it started
        form = form or WalkInForm(actor=request.user, store=store)
        return render(request, self.template_name, {
            "store": store, "stores": stores, "arrivals": arrivals, "form": form, "today": timezone.localdate(),
            "next_url": request.get_full_path(),
        }, status=status)


class WalkInView(PortalMixin, View):
    roles = SHOWROOM_ROLES

    def post(self, request):
        store, _stores = _chosen_store(request)
        form = WalkInForm(request.POST, actor=request.user, store=store)
        if not form.is_valid():
            return ReceptionView().get(request, form=form, status=400)
        data = form.cleaned_data
        try:
            appointment = walk_in_register(
                store=data.get("store") or request.user.store, mobile=data["mobile"], name=data["name"],
                series=data["series"], needs=data["needs"], actor=request.user,
            )
        except LeadsError as exc:
            form_errors_from(form, exc)
            return ReceptionView().get(request, form=form, status=400)
        messages.success(request, _("已登记到店：%(who)s。") % {"who": appointment.lead.name or appointment.lead.masked_mobile})
        query = f"?{urlencode({'store': appointment.store_id})}" if request.user.is_group_wide else ""
        return SeeOther(reverse("portal:leads:reception") + query)


class _AppointmentAction(PortalMixin, View):
    """A POST on one appointment of the actor's stores: call the service,
    report, and go back."""

    roles = SHOWROOM_ROLES
    success = ""

    def act(self, appointment, request):
        raise NotImplementedError

    def post(self, request, pk):
        appointment = appointment_get(actor=request.user, pk=pk)
        try:
            self.act(appointment, request)
        except LeadsError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, self.success)
        return SeeOther(_next_or(request, reverse("portal:leads:reception")))


class CheckInView(_AppointmentAction):
    def act(self, appointment, request):
        appointment_check_in(appointment=appointment, actor=request.user)
        self.success = _("已签到，线索已标记为到店。")


class NoShowView(_AppointmentAction):
    def act(self, appointment, request):
        appointment_mark_no_show(appointment=appointment, actor=request.user)
        self.success = _("已标记未到店，并为顾问创建回访任务。")


class CancelView(_AppointmentAction):
    def act(self, appointment, request):
        appointment_cancel(appointment=appointment, actor=request.user, reason=request.POST.get("reason", ""))
        self.success = _("预约已取消。")


class FeedbackView(PortalMixin, View):
    """试驾反馈: completes the appointment and books the next step."""

    roles = SHOWROOM_ROLES
    template_name = "portal/leads/showroom/feedback.html"

    def get(self, request, pk, form=None, status=200):
        appointment = appointment_get(actor=request.user, pk=pk)
        return render(request, self.template_name, {"appointment": appointment, "form": form or FeedbackForm()}, status=status)

    def post(self, request, pk):
        appointment = appointment_get(actor=request.user, pk=pk)
        form = FeedbackForm(request.POST)
        if not form.is_valid():
            return self.get(request, pk, form=form, status=400)
        data = form.cleaned_data
        try:
            appointment_feedback(
                appointment=appointment, actor=request.user, rating=data["rating"], liked=data["liked"],
                disliked=data["disliked"], intent=data["intent"], next_step=data["next_step"],
                next_step_at=data["next_step_at"],
            )
        except LeadsError as exc:
            form_errors_from(form, exc)
            return self.get(request, pk, form=form, status=400)
        messages.success(request, _("反馈已保存，下一步已加入跟进任务。"))
        allowed = store_ids_for(request.user)
        if allowed is None or appointment.lead.store_id in allowed:
            return SeeOther(reverse("portal:leads:lead-detail", args=[appointment.lead_id]))
        return SeeOther(reverse("portal:leads:reception"))


# --- calendars ------------------------------------------------------------------------------------------


class CalendarView(PortalMixin, View):
    """The day view and the week calendar: a manager or DCC sees the store
    (optionally one consultant), a consultant their own, HQ picks a store."""

    roles = SHOWROOM_ROLES
    template_name = "portal/leads/showroom/calendar.html"

    def get(self, request):
        user = request.user
        store, stores = _chosen_store(request)
        view = "day" if request.GET.get("view") == "day" else "week"
        day = _day_param(request)
        monday = day - dt.timedelta(days=day.weekday())
        consultants, consultant = [], None
        if store is not None and showroom_sees_store(user):
            consultants = list(store_consultants(store))
            wanted = request.GET.get("consultant", "")
            consultant = next((c for c in consultants if str(c.pk) == wanted), None)
        elif not showroom_sees_store(user):
            consultant = user
        context = {"store": store, "stores": stores, "view": view, "day": day, "consultants": consultants,
                   "consultant": consultant, "today": timezone.localdate()}
        if store is not None:
            first, last = (day, day) if view == "day" else (monday, monday + dt.timedelta(days=6))
            appointments = list(appointment_list(actor=user, store=store, consultant=consultant, date_from=first, date_to=last)
                                .exclude(status=AppointmentStatus.CANCELLED))
            step = dt.timedelta(days=1 if view == "day" else 7)
            base = {"view": view, **({"store": store.pk} if user.is_group_wide else {}),
                    **({"consultant": consultant.pk} if consultant and showroom_sees_store(user) else {})}
            context.update(
                calendar=(calendar_day(appointments=appointments, day=day, store=store) if view == "day"
                          else calendar_week(appointments=appointments, monday=monday, store=store)),
                prev_url="?" + urlencode({**base, "date": (day - step).isoformat()}),
                next_url="?" + urlencode({**base, "date": (day + step).isoformat()}),
                day_url="?" + urlencode({**base, "view": "day", "date": day.isoformat()}),
                week_url="?" + urlencode({**base, "view": "week", "date": day.isoformat()}),
                count=len(appointments),
            )
        return render(request, self.template_name, context)


# --- booking from a lead ------------------------------------------------------------------------------------


class LeadBookView(PortalMixin, View):
    """Book a visit or a test drive for a lead: pick the kind, series and
    day, then one of the free slots (and optionally the car)."""

    roles = SHOWROOM_ROLES
    template_name = "portal/leads/showroom/book.html"

    def get(self, request, pk):
        lead = lead_get(actor=request.user, pk=pk)
        initial = {"kind": AppointmentKind.TEST_DRIVE, "date": timezone.localdate() + dt.timedelta(days=1),
                   "series": lead.series_id,
                   "source": AppointmentSource.DCC if request.user.role == Role.DCC else AppointmentSource.CONSULTANT}
        form = BookingForm(request.GET or None, store=lead.store, initial=initial)
        slots, searched = [], False
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            searched = True
            if data["kind"] == AppointmentKind.VISIT:
                slots = visit_slots(store=lead.store, date=data["date"])
            elif data["series"] is not None:
                slots = test_drive_slots(store=lead.store, series=data["series"], date=data["date"])
        cars = list({car.pk: car for slot in slots for car in slot.free_cars}.values())
        return render(request, self.template_name,
                      {"lead": lead, "form": form, "slots": slots, "cars": cars, "searched": searched})

    def post(self, request, pk):
        lead = lead_get(actor=request.user, pk=pk)
        form = BookingForm(request.POST, store=lead.store)
        back = reverse("portal:leads:lead-book", args=[pk])
        if not form.is_valid() or not form.cleaned_data.get("starts_at"):
            messages.error(request, _("请选择类型、日期和时段。"))
            return SeeOther(back)
        data = form.cleaned_data
        car = None
        if data.get("car"):
            car = store_car(lead.store, data["car"])
        source = data.get("source") or AppointmentSource.CONSULTANT
        try:
            appointment_book(
                lead=lead, kind=data["kind"], starts_at=data["starts_at"], actor=request.user, source=source,
                series=data["series"], car=car, notes=data["notes"],
            )
        except LeadsError as exc:
            messages.error(request, str(exc.message))
            query = urlencode({"kind": data["kind"], "series": data["series"].pk if data["series"] else "",
                               "date": data["date"].isoformat()})
            return SeeOther(f"{back}?{query}")
        messages.success(request, _("预约成功，已向客户发送确认。"))
        return SeeOther(reverse("portal:leads:lead-detail", args=[pk]))


# --- fleet and hours ------------------------------------------------------------------------------------------


class FleetView(PortalMixin, View):
    """The store's test-drive fleet and the form to add a car."""

    roles = FLEET_ROLES
    template_name = "portal/leads/showroom/fleet.html"

    def get(self, request, form=None, status=200):
        store, stores = _chosen_store(request)
        cars = test_drive_car_list(actor=request.user, store=store)
        form = form or CarForm(actor=request.user, store=store, initial={"store": store.pk if store else None})
        return render(request, self.template_name, {"cars": cars, "form": form, "store": store, "stores": stores},
                      status=status)

    def post(self, request):
        store, _stores = _chosen_store(request)
        form = CarForm(request.POST, actor=request.user, store=store)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        data = form.cleaned_data
        try:
            test_drive_car_save(actor=request.user, store=data.get("store") or request.user.store, car_model=data["car_model"],
                                plate=data["plate"], status=data["status"], is_active=data["is_active"], note=data["note"])
        except LeadsError as exc:
            form_errors_from(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("试驾车已保存。"))
        return SeeOther(reverse("portal:leads:fleet"))


class CarEditView(PortalMixin, View):
    roles = FLEET_ROLES
    template_name = "portal/leads/showroom/car_edit.html"

    def get(self, request, pk, form=None, status=200):
        car = test_drive_car_get(actor=request.user, pk=pk)
        form = form or CarForm(actor=request.user, store=car.store, initial={
            "store": car.store_id, "car_model": car.car_model_id, "plate": car.plate, "status": car.status,
            "is_active": car.is_active, "note": car.note,
        })
        return render(request, self.template_name, {"car": car, "form": form}, status=status)

    def post(self, request, pk):
        car = test_drive_car_get(actor=request.user, pk=pk)
        form = CarForm(request.POST, actor=request.user, store=car.store)
        if not form.is_valid():
            return self.get(request, pk, form=form, status=400)
        data = form.cleaned_data
        try:
            test_drive_car_save(actor=request.user, store=data.get("store") or car.store, car_model=data["car_model"],
                                plate=data["plate"], status=data["status"], is_active=data["is_active"], note=data["note"],
                                car=car)
        except LeadsError as exc:
            form_errors_from(form, exc)
            return self.get(request, pk, form=form, status=400)
        messages.success(request, _("试驾车已保存。"))
        return SeeOther(reverse("portal:leads:fleet"))


class HoursView(PortalMixin, View):
    """The store's opening hours (an empty day is closed)."""

    roles = FLEET_ROLES
    template_name = "portal/leads/showroom/hours.html"

    def get(self, request, form=None, status=200):
        store, stores = _chosen_store(request)
        if form is None and store is not None:
            form = HoursForm(week=store_hours_week(store))
        return render(request, self.template_name, {"store": store, "stores": stores, "form": form}, status=status)

    def post(self, request):
        store, _stores = _chosen_store(request)
        if store is None:
            messages.error(request, _("请选择门店。"))
            return SeeOther(reverse("portal:leads:hours"))
        form = HoursForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        try:
            store_hours_set(store=store, actor=request.user, week=form.week())
        except LeadsError as exc:
            form_errors_from(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("营业时间已保存。"))
        query = f"?{urlencode({'store': store.pk})}" if request.user.is_group_wide else ""
        return SeeOther(reverse("portal:leads:hours") + query)
