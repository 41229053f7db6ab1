// Kept for commands that name it (`mocha -r test/harness/register.js …`): the one loader is
// `register.js` at the project root, the one Pulumi.yaml gives the Pulumi CLI (docs/cli-loading.md).
"use strict";
module.exports = require("../../register.js");
