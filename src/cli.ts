#!/usr/bin/env node
console.log('jitterbot');
