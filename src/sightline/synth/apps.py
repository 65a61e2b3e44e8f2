from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "sightline.synth"
    label = "synth"
