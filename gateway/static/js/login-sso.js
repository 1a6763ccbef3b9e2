// Single sign-on on the sign-in page: the "Sign in with <provider>" button when the gateway
// has an identity provider configured (GET /auth/methods), the password form tucked away
// when local passwords are off (only the break-glass admin uses it then), and a sentence
// for a sign-on that came back with ?sso_error=<code> (the details are in the gateway's log).
import {api, el, showMessage} from './api.js';
import {offerRegistration} from './register.js';

const params = new URLSearchParams(location.search);

function failureText(code, provider) {
  const helpDesk = 'If it keeps happening, tell the IT help desk.';
  if (code.startsWith('id_token_')) {
    return `The answer from ${provider} could not be verified, so you were not signed in. ${helpDesk}`;
  }
  const texts = {
    provider_unavailable: `${provider} cannot be reached right now. Try again in a few minutes.`,
    provider_misconfigured: `${provider} is not set up correctly for this site. ${helpDesk}`,
    provider_error: `${provider} could not complete the sign-in. ${helpDesk}`,
    denied: `Sign-in was cancelled at ${provider}.`,
    invalid_state: 'That sign-in had expired or was already used. Please start again.',
    code_rejected: `${provider} did not accept this sign-in (it may have expired). Please start again.`,
    no_email: `${provider} did not share your email address, which this site needs. ${helpDesk}`,
    break_glass_account: 'This address belongs to the local administrator account, which cannot use single sign-on.',
    email_unverified: `An account with this address exists, but ${provider} has not verified the address. ${helpDesk}`,
    last_admin: 'You are the last administrator here; make someone else an administrator first.',
    service_unavailable: 'The platform could not finish signing you in. Try again shortly.',
  };
  return texts[code] || `Single sign-on did not work. Please try again. ${helpDesk}`;
}

function tuckAwayPasswordForm() {
  const form = document.getElementById('login-form');
  const hint = document.getElementById('sso-or');
  // "Forgot password?" belongs with the form: only the break-glass admin has a password.
  const forgot = document.getElementById('forgot-password')?.parentElement;
  form.hidden = true;
  hint.hidden = true;
  if (forgot) forgot.hidden = true;
  const reveal = el('button', {type: 'button', class: 'btn btn-secondary', id: 'break-glass'},
    'Administrator with a local password');
  reveal.addEventListener('click', () => {
    form.hidden = false;
    if (forgot) forgot.hidden = false;
    reveal.remove();
    form.email.focus();
  });
  form.before(reveal);
}

async function offerSingleSignOn() {
  let methods;
  try {
    methods = await api('/auth/methods', {auth: false});
  } catch (error) {
    return;   // the password form works without it
  }
  const provider = methods.sso ? methods.sso.display_name : 'the sign-in service';
  if (methods.sso) {
    const link = document.getElementById('sso-button');
    const next = params.get('next');
    link.href = methods.sso.start_url + (next ? `?next=${encodeURIComponent(next)}` : '');
    link.textContent = `Sign in with ${methods.sso.display_name}`;
    document.getElementById('sso').hidden = false;
  }
  if (!methods.password) tuckAwayPasswordForm();
  offerRegistration(methods.registration);
  const failure = params.get('sso_error');
  if (failure) showMessage(document.getElementById('login-error'), failureText(failure, provider));
}

offerSingleSignOn();
