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
back-to-requests = Back to your requests
field-phone = Phone
requests-title = Requests
requests-waiting = Waiting for your answer
requests-answer-by = Please answer by { $when }.
requests-review = Review and answer
requests-review-from = the request from { $name }
requests-none-waiting = No request is waiting for you. When someone asks whether you would sponsor them, you get an email and it shows up here.
requests-earlier = Earlier requests
requests-asked-on = Asked on { $when }
requests-none-earlier = Requests you have answered will be listed here.
requests-older = Older requests
request-title = A request to sponsor someone
request-who = Someone looking for a sponsor has asked whether you would sponsor them. This is what they agreed to share with you:
request-status = Where it stands:
request-answer-by = Please answer by { $when }. After that, they will be offered someone else.
request-accept-heading = Accept
request-accept-next = If you accept and they say yes too, you will each get an email introducing you, with each other's contact details.
request-share-contact = Once they say yes too, share my contact details with them.
request-accept = Accept this request
request-decline-heading = Decline
request-decline-next = Declining is always fine. They will be offered someone else, and nobody is told why unless you say so to your program.
request-decline = Decline this request
request-problem-title = This could not be done
accept-error-consent = To accept, tick the box to share your contact details once they say yes too.
refusal-no-capacity = You have no free place for a new sponsee right now, so you cannot accept this request. You can decline it, so they are offered someone else, or end a sponsorship first.
refusal-moved-on = This request is no longer waiting for your answer: it was answered, withdrawn or has expired.
refusal-consent = This request cannot go ahead because a consent it needs is no longer in force. Your program has been told.
refusal-other = This step cannot be taken now. Reload the page to see where things stand.
reason-label = Reason (optional)
reason-label-required = Reason
reason-hint = Only your program sees it.
reason-none = No reason given
reason-choose = Choose a reason
reason-group-fit = About the fit
reason-group-safety = About safety
note-accepted = You accepted. Once they say yes too, you will both get an email to introduce you.
note-declined = You declined. They will be offered someone else.
note-activated = Thank you. The sponsorship is now marked as active.
note-ended = The sponsorship has ended. Thank you for the time you gave.
note-check-in-answered = Thank you. Your answer has been sent to your program.
sponsees-title = People you sponsor
sponsees-since = since { $when }
sponsees-contact-soon = Their contact details will be here once the introduction email has gone out.
sponsees-activate-hint = Once you have met or spoken, let your program know it has started.
sponsees-activate = We have met: mark the sponsorship with { $name } as active
sponsees-end-heading = End the sponsorship with { $name }
sponsees-end-next = Ending is final: you will not be asked to sponsor them again. Their program will look for someone else if they want.
sponsees-safety-hint = If you feel unsafe or someone crossed a line, choose a reason under "About safety": your program will look into it. Sponsors are not a crisis service; in an emergency call your local emergency number.
sponsees-end = End the sponsorship
end-error-reason = Choose a reason for ending the sponsorship.
sponsees-none = You are not sponsoring anyone at the moment. When you accept a request and the other person says yes too, they will appear here.
check-ins-title = Check-ins
check-ins-intro = Some days after an introduction your program asks how it is going. Only your program sees your answer.
check-ins-question = How is it going with { $name }? ({ $days } days since your introduction)
check-ins-answered = You answered: { $answer }. You can change your answer.
check-ins-open-until = You can answer until { $when }.
check-ins-send = Send my answer
check-ins-change = Change my answer
check-ins-none = No check-in is waiting for you. Your program asks how things are going a few days after each introduction.
summary-alias = Name they go by
summary-alias-withheld = They have not shared their name yet
summary-fellowships = Fellowships
summary-languages = Languages
summary-needs = Asks for
summary-shared-hours = Hours a week you are both free
summary-hours = { $hours ->
    [one] 1 hour
   *[other] { $hours } hours
}
summary-distance = Distance
respond-accept-title = Accept this request?
respond-decline-title = Decline this request?
respond-rather-decline = Would you rather not?
respond-sign-in = You can also sign in and see all your requests.
decline-error-reason = That is not a reason you can give. Choose one from the list, or none.
link-gone-title = This link cannot be used
link-done-title = Thank you
link-sign-in = Sign in to see your requests and sponsees
link-invalid = This link is not valid. It may have been copied only in part; try opening it from the email again.
link-request-expired = The time to answer this request has passed, so it has been offered to someone else. You do not need to do anything.
link-request-newer = This link is out of date: the request has changed since this email was sent. Use the newest email, or sign in to answer.
link-request-withdrawn = This request was withdrawn, so there is nothing to answer. You do not need to do anything.
link-request-declined = You have already declined this request. Nothing more is needed.
link-request-answered = You have already answered this request. Sign in to see where it stands.
link-account-disabled = Your account has been closed, so this link no longer works. If that is a mistake, please ask your program.
link-check-in-expired = This check-in has closed. If something is on your mind, please tell your program.
link-check-in-over = This sponsorship has ended, so the check-in is closed. Your program can help with anything else.
check-in-confirm-title = Send this answer?
check-in-your-answer = Your answer:
check-in-only-program = Only your program sees it. Nothing is sent until you press the button.
check-in-send = Send my answer
check-in-answered-as = You answered: { $answer }. You can close this page.
check-in-not-crisis = Sponsors and this service are not a crisis service. If you are in danger or thinking of harming yourself, call your local emergency number now.

# Labels of codes
label-role-program-admin = Program administrator
label-role-case-manager = Case manager
label-role-sponsor = Sponsor
label-state-proposed = Just proposed
label-state-pending-review = Being reviewed by the program
label-state-awaiting-sponsor = Waiting for your answer
label-state-awaiting-seeker = You accepted; waiting for their answer
label-state-agreed = You both said yes; the introduction is on its way
label-state-introduced = Introduced
label-state-active = Active
label-state-completed = Completed
label-state-ended = Ended
label-state-declined = Declined
label-state-expired = Expired without an answer
label-state-withdrawn = Withdrawn
label-state-vetoed = Stopped by the program
label-reason-schedule-conflict = Our schedules do not fit
label-reason-not-a-good-fit = Not a good fit
label-reason-no-capacity = I have no room for another sponsee
label-reason-personal-circumstances = Personal circumstances
label-reason-unresponsive = They do not answer
label-reason-goals-met = We have done what we set out to do
label-reason-reassigned = Someone else is a better fit
label-reason-rematch-requested = A change was asked for
label-reason-other = Another reason
label-reason-safety-concern = I am worried about safety
label-reason-boundary-violation = Boundaries were crossed
label-reason-harassment = Harassment
label-reason-sponsor-paused = The sponsor paused
label-reason-consent-revoked = A consent was withdrawn
label-check-in-sponsor-going-well = It is going well
label-check-in-sponsor-need-help = I would like someone from the program to contact me
label-check-in-sponsor-want-change = I think they would do better with someone else
label-check-in-seeker-going-well = It is going well
label-check-in-seeker-need-help = I would like someone from the program to contact me
label-check-in-seeker-want-change = I would like a different sponsor
label-check-in-thanks-seeker-going-well = Good to hear. Thank you for letting us know.
label-check-in-thanks-seeker-need-help = Thank you for telling us. Someone from your program will be in touch soon.
label-check-in-thanks-seeker-want-change = That is fine, and nobody is blamed. Your program will find you someone else.
label-check-in-thanks-sponsor-going-well = Good to hear. Thank you for letting us know.
label-check-in-thanks-sponsor-need-help = Thank you for telling us. Someone from the program will be in touch soon.
label-check-in-thanks-sponsor-want-change = Thank you for saying so. The program will find them someone else; nobody is blamed.
