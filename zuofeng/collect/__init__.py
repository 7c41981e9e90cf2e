"""Collection: tokens and slips, the survey page, the server that serves it and its collection desk.

``tokens`` issues and checks the anonymous tokens, ``slips`` prints them, ``survey`` (with its texts in
``survey_text``) is the respondent's page, the ``server`` package runs it under Voilà behind a light entry
page, and ``desk`` checks tokens and stores sheets for every page of a server.
"""
