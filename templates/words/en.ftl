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

# Profile and pausing

# Requests, sponsees, check-ins and the emailed links' pages

# Labels of codes
label-role-program-admin = Program administrator
label-role-case-manager = Case manager
label-role-sponsor = Sponsor
