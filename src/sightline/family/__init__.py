"""The child's voice first, and parents and carers as partners (issue 17, parts 3 and 4).

What the child has said, in their own words (here, and from return home interviews), their
plan written with them, how many social workers and placements they have had, and their
parents and carers: who may be contacted, what was shared with them, and a narrow view of the
plan and contacts a social worker can open to a parent without a staff account.
"""
