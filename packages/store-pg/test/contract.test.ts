import { runStoreContract } from '@process-summary/store-contract';
import { adminPool, freshStore } from './_helpers.js';

runStoreContract('PgSummaryStore', async () => {
  const { store, schema, drop } = await freshStore();
  const where = 'run_name = $1 AND process_name = $2 AND worker = $3';
  const key = (ref: {
    runName: string;
    processName: string;
    worker?: string | null | undefined;
  }) => [ref.runName, ref.processName, ref.worker ?? ''];
  return {
    store,
    // A lease expires by the database's clock: age its heartbeat past any threshold.
    makeOwnerGone: async (lease) => {
      await (await adminPool()).query(
        `UPDATE ${schema}.summaries SET owner_heartbeat = now() - interval '1 day' WHERE ${where} AND owner_epoch = $4`,
        [...key(lease.ref), lease.epoch],
      );
    },
    corrupt: async (ref) => {
      await (await adminPool()).query(
        `UPDATE ${schema}.summaries SET body = '{"not": "a summary"}' WHERE ${where}`,
        key(ref),
      );
    },
    cleanup: drop,
  };
});
