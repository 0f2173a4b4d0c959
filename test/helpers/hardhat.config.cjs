// Hardhat config for the local EVM the chain tests start (`hardhat node`, EDR). Nothing is compiled by
// Hardhat: zkinfer compiles Solidity itself with solc-js. Caches go to the OS temp dir, not the repo.
const os = require('node:os');
const path = require('node:path');

const tmp = path.join(os.tmpdir(), 'zkinfer-hardhat');
module.exports = {
  paths: { cache: path.join(tmp, 'cache'), artifacts: path.join(tmp, 'artifacts'), sources: path.join(tmp, 'contracts') },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: 'cancun',
      // Lets a test measure verifiers beyond EIP-170 (zkinfer itself refuses to deploy them).
      allowUnlimitedContractSize: process.env.ZKINFER_HH_UNLIMITED === '1',
      mining: { auto: true },
    },
  },
};
