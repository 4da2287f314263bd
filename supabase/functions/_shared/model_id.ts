// Model ids are OpenRouter's: `provider/model`, the model part possibly with a `:variant`
// (`deepseek/deepseek-r1-0528:free`). In URLs an id travels percent-encoded as ONE path segment
// (encodeURIComponent: `/` becomes %2F, `:` becomes %3A), e.g.
// /functions/v1/admin-models/deepseek%2Fdeepseek-r1-0528%3Afree. Both parts must start with a
// letter or digit, so `.`/`..` segments and other path tricks never validate as ids.
import { z } from "zod";

const modelIdPattern = /^[A-Za-z0-9][A-Za-z0-9._~-]*\/[A-Za-z0-9][A-Za-z0-9._~:+-]*$/;

export const modelIdSchema = z.string().max(200).regex(
  modelIdPattern,
  "must look like provider/model (letters, digits, . _ ~ - and : in the model part)",
);
