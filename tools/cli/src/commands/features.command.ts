import type { Command } from '@commander-js/extra-typings';
import { featuresv1 } from '@feedmesh/contracts';
import { fetchEntityFeatures, formatEntityFeatures } from '@feedmesh/feature-store';
import { write, type CliIo } from '../cli-io.js';
import { withServiceClient } from '../gateway-client.js';
import { address, id } from '../option-parsers.js';

/** `feedmesh features`: what the feature store knows of a user (and a post), by name. */
export function registerFeaturesCommand(program: Command, io: CliIo): void {
  program
    .command('features')
    .description("a user's features (and a post's, with --post) by name, from the feature store")
    .requiredOption('--user <id>', 'the user', id)
    .option('--post <id>', 'also the candidate features of this post for the user', id)
    .option(
      '--addr <host:port>',
      'the feature store (the playground prints its address)',
      address,
      '127.0.0.1:50053',
    )
    .option('--json', 'print the result as JSON')
    .action(async (options) => {
      const features = await withServiceClient(
        featuresv1.FeatureStoreServiceDefinition,
        options.addr,
        'feature store',
        (client) => fetchEntityFeatures(client, { userId: options.user, postId: options.post }),
      );
      await write(
        io.stdout,
        options.json
          ? `${JSON.stringify(features, null, 2)}\n`
          : `${formatEntityFeatures(features)}\n`,
      );
    });
}
