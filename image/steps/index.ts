// The image build's steps in order; each is idempotent given the outputs of the steps before it.
// The only file that imports steps: they never import each other (what they share is in image/lib/).
import type { ImageStep } from '../lib/step.js';
import { step as inputs } from './00-inputs.js';
import { step as rootfs } from './10-rootfs.js';
import { step as bundle } from './20-bundle.js';
import { step as app } from './30-app.js';
import { step as provision } from './40-provision.js';
import { step as wired } from './45-wired.js';
import { step as boot } from './50-boot.js';
import { step as clean } from './60-clean.js';
import { step as disk } from './70-disk.js';
import { step as release } from './80-release.js';
import { step as bundleArchive } from './85-bundle-archive.js';
import { step as bundleSign } from './86-bundle-sign.js';

export const IMAGE_STEPS: readonly ImageStep[] = [inputs, rootfs, bundle, app, provision, wired, boot, clean, disk, release, bundleArchive, bundleSign];
/** What `make bundle` runs. */
export const BUNDLE_STEPS: readonly ImageStep[] = [inputs, bundle, bundleArchive, bundleSign];
