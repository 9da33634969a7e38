/// Namespace of the SafeTensors module.
public enum SafeTensorsModule {}
