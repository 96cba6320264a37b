"""Class mode: a teacher's session becomes a class that students join with a short code,
follow, and fork to try it themselves (see docs/classroom.md).

    joincode.py   six-character codes without look-alike characters
    limiter.py    join attempts per client address (guessing codes gets 429)
    roster.py     students: display names, tokens, state
    registry.py   the classes: start, find, end, idle expiry
    fork.py       a student's own session from the teacher's run (engine/checkpoint.py)
    challenge.py  a goal and constraints, measured by the server on the test set
    progress.py   the class view: live numbers, sparklines, leaderboard
    qr.py         the join link as an SVG QR code
"""
