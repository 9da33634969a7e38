/// Namespace of the Kernels module.
public enum KernelsModule {}
