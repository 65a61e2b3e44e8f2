"""The appropriate-language checker: wording that blames children for their own exploitation.

``checker.check_text`` finds it and suggests alternatives; ``forms.LanguageCheckedFormMixin``
shows the suggestions before a record is saved; ``services.language_flags_record`` keeps what
the user chose to save anyway. See ``docs/language.md``.
"""
