#!/usr/bin/env node
// The `osteon` command.
console.log('osteon');
