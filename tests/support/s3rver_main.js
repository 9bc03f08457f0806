// Starts s3rver (a fake S3 in node) for the C++ tests; tests/support/s3rver.h drives it.
//   node s3rver_main.js MODULE_DIR DATA_DIR ACCESS_KEY SECRET_KEY SERVICE_ENDPOINT BUCKET...
// Listens on 127.0.0.1 with a free port and prints "listening port=PORT" once it accepts requests.
// Exits on SIGTERM; s3rver.cpp has the kernel SIGKILL it if the test process dies first.
'use strict';

const path = require('path');

const [moduleDir, directory, accessKey, secretKey, serviceEndpoint, ...buckets] =
  process.argv.slice(2);
const S3rver = require(moduleDir);
const AWSAccount = require(path.join(moduleDir, 'lib/models/account'));

// s3rver knows only its built-in S3RVER/S3RVER pair; register the test's own.
new AWSAccount(123456789012, 'bodyshape-test').createKeyPair(accessKey, secretKey);

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  serviceEndpoint,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});

server.run().then(
  ({ port }) => process.stdout.write(`listening port=${port}\n`),
  (error) => {
    process.stderr.write(`s3rver failed to start: ${error.stack}\n`);
    process.exit(1);
  },
);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
