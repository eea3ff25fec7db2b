from django.core.management.base import BaseCommand

from accounts.schedules import SCHEDULES, ensure_schedules


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules of every app (also runs after each migrate)."

    def handle(self, *args, **options):
        ensure_schedules()
        for name, func, schedule_type, minutes in SCHEDULES:
            self.stdout.write(f"{name}: {func} ({schedule_type}{f' every {minutes} min' if minutes else ''})")
