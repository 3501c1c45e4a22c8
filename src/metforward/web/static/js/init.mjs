// Start GOV.UK Frontend's components (no inline script: the CSP forbids them).
import { initAll } from "/static/vendor/govuk/govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();
