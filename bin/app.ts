#!/usr/bin/env -S npx tsx
import { App } from 'aws-cdk-lib';
import { ConfigError, parseConfig } from '../lib/config.js';
import { SupplierChangeStack } from '../lib/supplier-change-stack.js';

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

new SupplierChangeStack(app, 'SupplierChangeStack', {
  description: 'Zmiana dostawcy SD (MRPiPS): notification, confirmations and collection changes as a Step Functions workflow',
  config,
});

app.synth();
