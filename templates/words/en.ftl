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
profile-title = Your profile
profile-intro = Matching uses what you write here to suggest you to people looking for a sponsor. Seekers see your first name or alias, never your contact details, until you both agree to an introduction.
profile-welcome-title = Welcome
profile-welcome = You have no profile yet. Fill in this form so that matching can suggest you to people looking for a sponsor. You can change it, or pause, at any time.
profile-save = Save profile
profile-create = Create profile
note-profile-saved = Your profile has been saved.
note-paused = You are paused. You will not get new requests until you resume.
note-resumed = Welcome back. You can get new requests again.
profile-stale-title = Your profile changed while you were editing
profile-stale = Your profile was changed somewhere else (another tab or app) after you opened this page, so we did not save. Your changes are still in the form below. Saving again replaces the other change; or open your saved profile to see it first.
profile-stale-link = Open your saved profile
profile-status-title = Your status
profile-status-now = Your status: { $status }
profile-status-active = Matching can suggest you to people looking for a sponsor.
profile-status-paused = You are taking a break. Matching does not suggest you to anyone.
profile-pause-explain = Pausing means you will not get new requests. Requests waiting for your answer are declined for you, saying only that you are taking a break. People you sponsor now keep you.
profile-pause = Pause new requests
profile-resume = Resume new requests
profile-about = About you
field-alias = First name or alias
field-alias-hint = What seekers know you by before an introduction. Up to 60 characters.
field-fellowships = Your fellowships
field-fellowships-hint = Choose every fellowship or recovery program you can sponsor in.
field-sobriety-date = Sobriety date
field-sobriety-date-hint = The first day of your continuous sobriety, for example 2019-03-01.
field-gender = Your gender
field-sponsors = Whom you sponsor
field-sponsors-genders = Genders you sponsor
field-age-band = Your age
field-age-band-none = Prefer not to say
field-languages = Languages you can sponsor in
field-languages-more = More languages
field-time-zone = Your time zone
field-time-zone-hint = The hours below are in this time zone.
field-time-zone-choose = Choose your time zone
field-time-zone-other = Other
profile-when = When you are free
field-availability = Hours you are usually free
field-availability-hint = Tick each hour of the week you could usually talk or meet, in your own time zone. Each row is a day; each column is the hour starting then. On a small screen the table scrolls sideways.
field-availability-day = Day
profile-meeting = How you meet
field-meeting = Ways you can meet
field-in-person-area = Where you can meet in person
field-in-person-area-hint = Only if you meet in person. Give a point near where you can meet, as latitude and longitude (a map app shows them when you press and hold a place), and how far from it you would travel. Nobody sees the point: seekers see only a rough distance, such as 5 to 10 km.
field-latitude = Latitude
field-latitude-hint = From -90 to 90, for example 41.88
field-longitude = Longitude
field-longitude-hint = From -180 to 180, for example -87.63
field-radius-km = How far you would travel, in kilometres
field-radius-km-hint = From 0.5 to 250.
field-capacity = How many people you can sponsor at once
field-capacity-hint = From 1 to { $max }, the most your program allows.
field-attributes = What you offer
field-attributes-hint = Optional. Seekers who need one of these are more likely to be suggested to you.
profile-contact = How to reach you
field-contact-hint = Shared only with a person you agree to sponsor, after you both agree to an introduction. Give at least one.
field-contact-email = Email address
field-contact-phone = Phone number
field-contact-phone-hint = With the country code, for example +1 415 555 0123.
field-error-required = Choose one.
field-error-gender-required = Choose your gender.
field-error-sobriety-date-required = Enter your sobriety date.
field-error-sobriety-date-invalid-date = Enter your sobriety date as year, month and day, for example 2019-03-01.
field-error-sobriety-date-in-future = Your sobriety date cannot be in the future.
field-error-sobriety-date-too-early = Your sobriety date must be after 10 June 1935.
field-error-alias-empty = Enter a first name or alias.
field-error-alias-too-long = Your first name or alias must be 60 characters or fewer.
field-error-control-characters = Remove the special characters, such as line breaks.
field-error-invalid-character = Remove the special characters.
field-error-fellowships-empty = Choose at least one fellowship.
field-error-sponsors-genders-empty = Choose at least one gender you sponsor.
field-error-languages-empty = Choose at least one language.
field-error-unknown-language = Choose languages from the list.
field-error-time-zone-unknown-time-zone = Choose your time zone from the list.
field-error-availability-empty = Tick at least one hour when you are usually free.
field-error-availability-out-of-range = Tick hours from the table.
field-error-unknown-day = Tick hours from the table.
field-error-meeting-no-meeting-mode = Choose at least one way you can meet.
field-error-latitude-out-of-range = Enter a latitude from -90 to 90, for example 41.88.
field-error-longitude-out-of-range = Enter a longitude from -180 to 180, for example -87.63.
field-error-radius-km-out-of-range = Enter how far you would travel, from 0.5 to 250 kilometres.
field-error-capacity-out-of-range = Enter a whole number from 1 to { $max }.
field-error-contact-no-contact = Give an email address or a phone number.
field-error-invalid-email = Enter an email address like name@example.org.
field-error-invalid-phone = Enter a phone number with its country code, like +1 415 555 0123.
# Labels of the profile's codes (other pages show them too)
label-fellowship-aa = Alcoholics Anonymous (AA)
label-fellowship-na = Narcotics Anonymous (NA)
label-fellowship-ca = Cocaine Anonymous (CA)
label-fellowship-cma = Crystal Meth Anonymous (CMA)
label-fellowship-ma = Marijuana Anonymous (MA)
label-fellowship-ha = Heroin Anonymous (HA)
label-fellowship-smart = SMART Recovery
label-fellowship-refuge-recovery = Refuge Recovery
label-fellowship-recovery-dharma = Recovery Dharma
label-fellowship-life-ring = LifeRing Secular Recovery
label-fellowship-celebrate-recovery = Celebrate Recovery
label-attribute-supports-mat = Supports medication-assisted treatment (such as buprenorphine, methadone or naltrexone) as recovery
label-attribute-lgbtq-affirming = LGBTQ+ affirming
label-attribute-secular = A secular approach, without religion
label-attribute-faith-based = A faith-based approach
label-attribute-trauma-informed = Trauma-informed
label-attribute-veteran = Military veteran
label-attribute-parenting-experience = Experience of parenting in recovery
label-attribute-justice-involved-experience = Experience of the justice system
label-gender-woman = Woman
label-gender-man = Man
label-gender-non-binary = Non-binary
label-gender-rule-same-gender = People of my own gender
label-gender-rule-any-gender = People of any gender
label-gender-rule-listed = People of the genders I choose
label-age-band-18-29 = 18 to 29
label-age-band-30-39 = 30 to 39
label-age-band-40-49 = 40 to 49
label-age-band-50-59 = 50 to 59
label-age-band-60-plus = 60 or over
label-meeting-mode-in-person = In person
label-meeting-mode-phone = By phone
label-meeting-mode-video = By video call
label-distance-band-under-2-km = Under 2 km away
label-distance-band-2-to-5-km = 2 to 5 km away
label-distance-band-5-to-10-km = 5 to 10 km away
label-distance-band-10-to-25-km = 10 to 25 km away
label-distance-band-25-to-50-km = 25 to 50 km away
label-distance-band-over-50-km = Over 50 km away
label-day-mon = Monday
label-day-tue = Tuesday
label-day-wed = Wednesday
label-day-thu = Thursday
label-day-fri = Friday
label-day-sat = Saturday
label-day-sun = Sunday
label-sponsor-status-active = Taking new requests
label-sponsor-status-paused = Paused

# Requests, sponsees, check-ins and the emailed links' pages

# Labels of codes
label-role-program-admin = Program administrator
label-role-case-manager = Case manager
label-role-sponsor = Sponsor
