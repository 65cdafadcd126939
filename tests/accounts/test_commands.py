import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from lockers.models import Beer

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_seed_demo_creates_the_demo_user_and_prints_a_working_password(capsys):
    call_command("seed_demo", "--url", "http://127.0.0.1:9999")

    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    demo = User.objects.get(username="demo")
    assert demo.check_password(password)
    assert Beer.objects.filter(owner=demo).count() == 3
    assert "curl -u demo:" in out
    assert "http://127.0.0.1:9999/api/beers" in out


def test_seed_demo_again_resets_the_password_without_duplicating_beers(capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    password = capsys.readouterr().out.split("password: ")[-1].split()[0]
    demo = User.objects.get(username="demo")
    assert demo.check_password(password)
    assert Beer.objects.filter(owner=demo).count() == 3
