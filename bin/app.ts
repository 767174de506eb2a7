#!/usr/bin/env -S npx tsx
import { App, Validations } from 'aws-cdk-lib';
import { ConfigError, parseConfig } from '../lib/config.js';
import { addSupplierChangeStacks } from '../lib/supplier-change-app.js';

const app = new App();

let config;
try {
  config = parseConfig((key) => app.node.tryGetContext(key));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

// `cdk synth -c nag=true`: run cdk-nag's AwsSolutions pack (v3: a policy-validation plugin); the synth fails on any
// finding not acknowledged in lib/nag-acknowledgements.ts. Loaded only when asked (cdk-nag is a dev dependency).
if (String(app.node.tryGetContext('nag')) === 'true') {
  const { AwsSolutionsChecks } = await import('cdk-nag');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

addSupplierChangeStacks(app, 'SupplierChangeStack', config);

app.synth();
