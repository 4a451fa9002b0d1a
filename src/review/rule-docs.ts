/** Where the rules are documented; every comment and SARIF rule links here. */
export const RULE_DOCS_URL = 'https://github.com/jitterbot/jitterbot/blob/main/docs/rules.md';
