// Start GOV.UK Frontend's components (a module; see js-enabled.js for why it is a file).
import { initAll } from '../govuk-frontend/dist/govuk/govuk-frontend.min.js'

initAll()
