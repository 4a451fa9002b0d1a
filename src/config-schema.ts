import { z } from 'zod';
import { configSchema } from './config.js';

/** Where the generated schema is published in the package; editors find it through the docs' modeline. */
export const CONFIG_SCHEMA_PATH = 'schema/jitterbot.schema.json';

/**
 * The JSON Schema of `.jitterbot.yml`, generated from the same zod schema that validates the file, so
 * editors check exactly what jitterbot accepts. Describes the input (defaults are optional).
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://github.com/jitterbot/jitterbot/raw/main/schema/jitterbot.schema.json',
    title: 'jitterbot configuration (.jitterbot.yml, .github/jitterbot.yml, .gitlab/jitterbot.yml)',
  };
}
