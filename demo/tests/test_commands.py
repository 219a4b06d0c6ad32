"""The run command's demo step: `runplatform --load-demo` calls these management commands by name."""

import pytest
from django.core.management import call_command, get_commands

from characters.models import Character
from demo.characters import DEMO_USERNAME


def test_the_demo_commands_are_installed():
    commands = get_commands()
    assert commands.get("load_demo") == "demo" and commands.get("load_demo_posts") == "demo"


@pytest.mark.django_db
def test_load_demo_adds_the_demo_characters_once():
    call_command("load_demo", verbosity=0)
    made = Character.objects.filter(owner__username=DEMO_USERNAME).count()
    call_command("load_demo", verbosity=0)
    assert made >= 4 and Character.objects.filter(owner__username=DEMO_USERNAME).count() == made
