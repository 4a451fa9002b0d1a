/** `npm run schema`: writes the configuration's JSON Schema, generated from its zod schema. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CONFIG_SCHEMA_PATH, configJsonSchema } from '../src/config-schema.js';

mkdirSync(dirname(CONFIG_SCHEMA_PATH), { recursive: true });
writeFileSync(CONFIG_SCHEMA_PATH, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${CONFIG_SCHEMA_PATH}`);
