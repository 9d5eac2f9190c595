export { SentenceVaeError } from './SentenceVaeError.js';
export { InvalidArgumentError } from './InvalidArgumentError.js';
export { ShapeError } from './ShapeError.js';
export { DTypeError } from './DTypeError.js';
export { DeviceError } from './DeviceError.js';
export { DisposedError } from './DisposedError.js';
export { NativeError } from './NativeError.js';
export { AddonLoadError, type AddonAttempt } from './AddonLoadError.js';
export { fromNative } from './fromNative.js';
