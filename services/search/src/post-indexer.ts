import { decodeCharacterReferences } from '@feedmesh/content';
import type { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { requireId } from '@feedmesh/service-kit';
import type { SearchIndex } from './engine/index.js';
import { PostTagger } from './post-tagger.js';

const MAX_BLOG_NAME_LENGTH = 64;

/**
 * Applies the events search cares about (PostCreated, PostDeleted, BlogCreated) to the index;
 * ignores the rest. A post's text is indexed with its HTML character references decoded
 * ("caf&eacute;" is "café"); its tags and blog names are taken as written. Idempotent and order-tolerant, as at-least-once delivery needs: a post
 * id is indexed once, a deletion is remembered (for the index's `tombstoneRetentionMs`) so a
 * late or redelivered PostCreated stays out, and a blog
 * keeps the name of its latest BlogCreated. A malformed event throws InvalidArgumentError,
 * which sends it to the group's dead-letter stream.
 */
export class PostIndexer {
  constructor(
    private readonly index: SearchIndex,
    /** Derives canonical and inferred tags; default: the normalization rules, no models. */
    private readonly tagger: PostTagger = new PostTagger(),
  ) {}

  apply(event: eventsv1.Event): void {
    const payload = event.payload;
    switch (payload?.$case) {
      case 'postCreated': {
        const post = payload.value;
        const postId = requireId(post.postId, 'post_created.post_id');
        const blogId = requireId(post.blogId, 'post_created.blog_id');
        // A post indexed already (a redelivery) is not understood again.
        if (this.index.has(postId)) return;
        this.index.addPost({
          postId,
          blogId,
          // Indexed, stored and highlighted as readers see it: clients send the text
          // entity-encoded though the contract says plain text. The tagger takes it raw, as
          // every @feedmesh/content function does (each decodes once itself).
          text: decodeCharacterReferences(post.text),
          tags: post.tags,
          derivedTags: this.tagger.derivedTags(post.text, post.tags),
          createdAtMs: event.atMs,
        });
        return;
      }
      case 'postDeleted':
        this.index.deletePost(requireId(payload.value.postId, 'post_deleted.post_id'));
        return;
      case 'blogCreated': {
        const blog = payload.value;
        const name = blog.name.trim();
        if (name === '' || name.length > MAX_BLOG_NAME_LENGTH) {
          throw new InvalidArgumentError('blog_created.name', 'must be 1-64 characters');
        }
        this.index.nameBlog(requireId(blog.blogId, 'blog_created.blog_id'), name, event.atMs);
        return;
      }
      default:
        return;
    }
  }
}
