# The console's words in English. Keys are grouped by page; `label-*` keys name the
# service's codes (fellowships, attributes, reasons, states, ...). Every key used by a
# template or handler must be here (a test checks), and every language's file has the
# same keys with the same placeholders.

service-name = Sponsor Match
skip-to-content = Skip to main content
nav-label = Main
nav-home = Home
nav-requests = Requests
nav-sponsees = Sponsees
nav-check-ins = Check-ins
nav-profile = My profile
nav-account = Account
sign-out = Sign out
go-home = Go to your home page
footer-privacy = What you see here is private to you and your program. Please do not share it.

errors-title = Please check the form
error-prefix = Error:

# Sign-in
sign-in-title = Sign in
sign-in = Sign in
field-email = Email address
field-password = Password
field-name = Name
sign-in-forgot = Forgotten your password?
sign-in-invited = New here? Your program sends you an email invite; its link lets you choose a password.
sign-in-error-missing = Enter your email address and your password.
sign-in-error-wrong = That email address and password do not match an account. Check both and try again.
sign-in-error-throttled = Too many attempts. Please wait { $minutes } minutes and try again.
note-signed-out = You have signed out.
note-password-reset = Your password has been changed. Sign in with your new password.
note-account-created = Your account is ready. Sign in with your email address and new password.

# Home
home-title = Home
home-greeting = Hello, { $name }
home-program = You are signed in to { $program }.
home-requests = People asking whether you would be their sponsor, and your answers.
home-sponsees = The people you sponsor now, and how to reach them.
home-check-ins = Short questions about how things are going.
home-profile = What matching knows about you, and pausing when you need a break.
home-staff = The case manager's pages are on their way. Until then, use the API explorer at /docs/.

# Account
account-title = Your account
account-role = Role
account-program = Program

# Errors
error-sign-in-title = Please sign in
error-sign-in = Sign in to see this page.
error-forbidden-title = This page is not for your account
error-forbidden = Your account cannot open this page. If you think it should, ask your program.
error-csrf-title = This form has expired
error-csrf = For your safety we could not accept this form. Go back, reload the page and try again.
error-not-found-title = Page not found
error-not-found = There is nothing at this address. It may have been moved, or it was never yours to see.
error-method = This address is for a form. Go back to the page and use its button.
error-malformed-title = We could not read that form
error-malformed = Go back, reload the page and try again.
error-conflict-title = This has changed
error-moved-on = Someone else changed this in the meantime. Reload the page to see it as it is now.
error-throttled-title = Too many attempts
error-throttled = Please wait a few minutes and try again.
error-unavailable-title = We are busy
error-unavailable = The service is busy right now. Please try again in a moment.
error-internal-title = Something went wrong
error-internal = Something went wrong on our side. Please try again in a moment.

# Password, sessions, invites (accounts)
time-utc = { $time } UTC
field-current-password = Current password
field-new-password = New password
password-hint = 12 to 256 characters. A few unrelated words make a good one.
password-error-missing = Enter a new password.
password-error-too-short = Your new password must be at least 12 characters.
password-error-too-long = Your new password must be at most 256 characters.
password-error-invalid = Your new password has a character we cannot take. Choose another.
password-error-current-missing = Enter your current password.
password-error-current-wrong = That is not your current password. Check it and try again.
password-error-throttled = Too many attempts. Please wait a few minutes and try again.
password-change-title = Change your password
password-change-intro = Changing it signs you out on every other device. This browser stays signed in.
password-change = Change password
note-password-changed = Your password has been changed. You are signed out everywhere else.
sessions-title = Where you are signed in
sessions-intro = Each time you sign in starts a session. It ends when you sign out, or by itself at the time shown.
sessions-this-browser = This browser
sessions-started = Signed in: { $time }
sessions-ends = Ends: { $time }
sessions-revoke = Sign out there
sessions-revoke-which = (signed in { $time })
sessions-revoke-others = Sign out everywhere else
note-session-ended = That session has ended.
note-sessions-ended = You are signed out everywhere else.
forgot-title = Forgotten your password?
forgot-intro = Enter the email address you sign in with. We will send you a link to choose a new password.
forgot-send = Send me a link
forgot-error-missing = Enter your email address.
forgot-error-too-long = That is longer than any email address. Check it and try again.
forgot-error-throttled = You have asked for a link several times. Please wait a few minutes and try again.
forgot-sent-title = Check your email
forgot-sent = If an account exists for that address, we have sent it a link to choose a new password. The link works for { $minutes } minutes.
forgot-sent-spam = Nothing after a few minutes? Look in your spam folder, or ask for a new link.
forgot-again = Ask for a new link
back-to-sign-in = Back to sign in
reset-title = Choose a new password
reset-intro = Choosing a new password signs you out everywhere. Then sign in with it.
reset-save = Save my new password
reset-dead-title = This link cannot be used
reset-dead = This link has been used or has expired. You can ask for a new one.
invite-title = Create your account
invite-intro = Choose a password. You will sign in with the email address this invite came to.
invite-create = Create my account
invite-dead-title = This invite cannot be used
invite-dead = This invite has been used, has expired, or a newer one replaced it. Ask the program that invited you to send a new one.

# Profile and pausing

# Requests, sponsees, check-ins and the emailed links' pages

# Labels of codes
label-role-program-admin = Program administrator
label-role-case-manager = Case manager
label-role-sponsor = Sponsor
